// Hidden markers (HTML comments, invisible on GitHub) by which the action finds its own comment or issue
// again on the next run, and by which apply on merge reads the fingerprint of the plan a pull request showed.
// Markers sit on the first lines of a body: plan content (user names in the details block) comes later
// and cannot pass for a marker.

export type MarkerKind = 'plan' | 'apply' | 'drift';

/** The config path as the marker spells it: `./a/b.yaml` and `a/b.yaml` are the same file. */
export function normalizeConfigPath(path: string): string {
  return path.replace(/\\/g, '/').replace(/^(\.\/)+/, '');
}

export function marker(kind: MarkerKind, configPath: string): string {
  // `>` is the only character that can end an HTML comment early (`-->`), so it is percent-encoded.
  return `<!-- dbform:${kind}:${normalizeConfigPath(configPath).replace(/>/g, '%3E')} -->`;
}

export function fingerprintMarker(fingerprint: string): string {
  return `<!-- dbform:fingerprint:${fingerprint} -->`;
}

/** True when `body` is the action's `kind` body for this config (the marker is its first line). */
export function hasMarker(body: string | null | undefined, kind: MarkerKind, configPath: string): boolean {
  return firstLines(body ?? '')[0] === marker(kind, configPath);
}

/** The fingerprint of a plan comment: the line right after the plan marker, nothing else. */
export function readFingerprint(body: string): string | undefined {
  const second = firstLines(body)[1] ?? '';
  return /^<!-- dbform:fingerprint:([0-9a-f]{16}) -->$/.exec(second)?.[1];
}

/** GitHub may hand a body back with CRLF line ends (e.g. after an edit in the browser). */
function firstLines(body: string): string[] {
  return body.split(/\r?\n/, 2);
}
