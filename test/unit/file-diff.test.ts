import { describe, expect, it } from 'vitest';
import { FILE_DIFF_MAX_LINES, fileDiff } from '../../src/plan/file-diff.js';
import type { Change, Plan } from '../../src/plan/types.js';
import { renderJson, renderMarkdown, renderText } from '../../src/render/index.js';
import { diffAccess } from '../../src/resources/hba/diff.js';
import { renderHba } from '../../src/resources/hba/hba.js';
import { diffBackups } from '../../src/resources/backups/diff.js';
import { desired, syncedCatalog } from './fixtures.js';

// A file dbform renders on a host, edited by hand: the plan carries a bounded unified diff of it (data on
// the change), and every renderer shows it. Files holding credentials never get one.

const REJECT = 'host    all  all       all           reject\n';
const FILE = 'local:/var/lib/dbform/shop/pgdata/pg_hba.conf';

/** Every host was read; no instance is addressed by these plans' steps. */
const EVERY_HOST_READ = { hostsNotRead: [], instances: {} };

function planOf(changes: Change[]): Plan {
  const config = { file: 'databases.yaml', sha256: 'ab'.repeat(32) };
  return { formatVersion: 1, config, observedFingerprint: 'cd'.repeat(32), changes, warnings: [], ...EVERY_HOST_READ };
}

/** The add-on's pg_hba.conf with `lines` inserted before the final reject, as a hand edit would. */
function editedHba(hba: string, lines: string): string {
  return hba.replace(REJECT, lines + REJECT);
}

describe('fileDiff', () => {
  it('is the unified diff of the host file (-) against what dbform writes (+), with 2 lines of context', () => {
    const d = fileDiff('h:/f', 'a\nb\nc\nX\nd\ne\nf\n', 'a\nb\nc\nd\ne\nf\n');
    expect(d).toEqual({ file: 'h:/f', lines: ['@@ -2,5 +2,4 @@', ' b', ' c', '-X', ' d', ' e'], omitted: 0 });
  });

  it(`keeps at most ${FILE_DIFF_MAX_LINES} lines and counts the rest; cuts very long lines`, () => {
    const junk = Array.from({ length: 100 }, (_, i) => `junk ${i}`).join('\n');
    const d = fileDiff('h:/f', `keep\n${junk}\n${'y'.repeat(500)}\n`, 'keep\n');
    expect(d.lines).toHaveLength(FILE_DIFF_MAX_LINES);
    expect(d.lines[0]).toBe('@@ -1,102 +1,1 @@');
    expect(d.lines.at(-1)).toBe('-junk 37');
    // header + 1 context + 100 junk + 1 long line = 103 lines in all
    expect(d.omitted).toBe(103 - FILE_DIFF_MAX_LINES);
    const long = fileDiff('h:/f', `${'y'.repeat(500)}\n`, '');
    expect(long.lines[1]).toBe(`-${'y'.repeat(198)}…`);
  });

  it('expands tabs to 8 columns', () => {
    expect(fileDiff('h:/f', 'host\tall\tall\n', 'x\n').lines).toContain('-host    all     all');
  });
});

describe('pg_hba.conf edited by hand', () => {
  const d = desired();

  it('a line added by hand: the diff shows it being removed', () => {
    const [c] = diffAccess(d, { ...syncedCatalog(d), hba: editedHba(d.hba, 'host all all 0.0.0.0/0 trust\n') });
    expect(c!.fileDiff).toEqual({
      file: FILE,
      lines: ['@@ -6,4 +6,3 @@', ' host    all  all       0.0.0.0/0  scram-sha-256', ' host    all  all       ::/0  scram-sha-256', '-host all all 0.0.0.0/0 trust', ` ${REJECT.trim()}`],
      omitted: 0,
    });
  });

  it('a hand edit on top of a rule change still comes with its diff; a rule change alone has none', () => {
    const forced = { ...d, tls: { ...d.tls, force: true }, hba: renderHba({ force: true, allowedIps: [] }) };
    const [plain] = diffAccess(forced, syncedCatalog(d));
    expect(plain!.reason).toBe('pg_hba.conf rules differ from tls.force / allowedIps');
    expect(plain!.fileDiff).toBeUndefined();
    const [both] = diffAccess(forced, { ...syncedCatalog(d), hba: editedHba(d.hba, 'host all all 0.0.0.0/0 trust\n') });
    expect(both!.fileDiff!.lines.filter((l) => l.startsWith('-'))).toEqual([
      '-host    all  all       0.0.0.0/0  scram-sha-256',
      '-host    all  all       ::/0  scram-sha-256',
      '-host all all 0.0.0.0/0 trust',
    ]);
  });

  it('never shows the value of a password or secret option a hand edit added', () => {
    const added = 'host all all 10.0.0.0/8 ldap ldapserver=ldap.example ldapbindpasswd="s3cr3t pw" radiussecrets=r4d1us\n';
    const [c] = diffAccess(d, { ...syncedCatalog(d), hba: editedHba(d.hba, added) });
    expect(c!.fileDiff!.lines).toContain('-host all all 10.0.0.0/8 ldap ldapserver=ldap.example ldapbindpasswd=*** radiussecrets=***');
    const plan = planOf([c!]);
    for (const out of [renderText(plan, { color: false }), renderMarkdown(plan), renderJson(plan)]) {
      expect(out).not.toMatch(/s3cr3t|r4d1us/);
      expect(out).toContain('ldapbindpasswd=***');
    }
  });

  it('a deleted file: everything is added back', () => {
    const [c] = diffAccess(d, { ...syncedCatalog(d), hba: null });
    expect(c!.fileDiff!.lines[0]).toBe('@@ -0,0 +1,8 @@');
    expect(c!.fileDiff!.lines.slice(1).every((l) => l.startsWith('+'))).toBe(true);
  });
});

describe('rendering a file diff', () => {
  const d = desired();
  const [edited] = diffAccess(d, { ...syncedCatalog(d), hba: editedHba(d.hba, 'host all all 0.0.0.0/0 trust\n') });
  const plan = planOf([edited!]);

  it('text: unified diff headers and hunks under the change, before its hazards', () => {
    const text = renderText(plan, { color: false });
    const block = [
      `      --- ${FILE} (on the host)`,
      `      +++ ${FILE} (as dbform will write it)`,
      '      @@ -6,4 +6,3 @@',
      '       host    all  all       0.0.0.0/0  scram-sha-256',
      '       host    all  all       ::/0  scram-sha-256',
      '      -host all all 0.0.0.0/0 trust',
      `       ${REJECT.trim()}`,
      '      ! ACCESS_CHANGE: rules added to pg_hba.conf by hand are removed',
    ].join('\n');
    expect(text).toContain(block);
    expect(renderText(plan, { color: true })).toContain('\u001b[31m-host all all 0.0.0.0/0 trust\u001b[39m');
  });

  it('markdown: a fenced diff block of its own in the details, captioned with the change', () => {
    const md = renderMarkdown(plan);
    const block = [
      'addon.shop.access: edited by hand on the host, restored by apply:',
      '',
      '```diff',
      `--- ${FILE} (on the host)`,
      `+++ ${FILE} (as dbform will write it)`,
      '@@ -6,4 +6,3 @@',
      ' host    all  all       0.0.0.0/0  scram-sha-256',
      ' host    all  all       ::/0  scram-sha-256',
      '-host all all 0.0.0.0/0 trust',
      ` ${REJECT.trim()}`,
      '```',
      '',
      '</details>',
    ].join('\n');
    expect(md).toContain(block);
  });

  it('markdown: a hand-edited line cannot close the fence, break out of <details> or smuggle control characters', () => {
    const hostile = '# ```\n# </details> <img src=x>\n# \u001b[2J bidi \u202e\n';
    const [c] = diffAccess(d, { ...syncedCatalog(d), hba: editedHba(d.hba, hostile) });
    const md = renderMarkdown(planOf([c!]));
    const start = md.indexOf('````diff\n--- ');
    expect(start).toBeGreaterThan(0);
    const end = md.indexOf('\n````\n', start);
    expect(md.slice(start, end)).toContain('-# ```\n-# </details> <img src=x>\n-# \\u001b[2J bidi \\u202e');
    expect(md.slice(end)).toBe('\n````\n\n</details>\n\n' + md.slice(md.indexOf('<sub>')));
    // The escape character itself is what must never reach a terminal or a comment.
    // eslint-disable-next-line no-control-regex
    expect(md).not.toMatch(/[\u001b\u202e]/);
  });

  it('text and markdown say how many lines were left out', () => {
    const many = Array.from({ length: 60 }, (_, i) => `host all all 10.0.${i}.0/24 trust`).join('\n') + '\n';
    const [c] = diffAccess(d, { ...syncedCatalog(d), hba: editedHba(d.hba, many) });
    const omitted = c!.fileDiff!.omitted;
    expect(omitted).toBe(1 + 2 + 60 + 1 - FILE_DIFF_MAX_LINES);
    const p = planOf([c!]);
    expect(renderText(p, { color: false })).toContain(`      … ${omitted} more lines\n`);
    expect(renderMarkdown(p)).toContain(`\n… ${omitted} more lines\n\`\`\`\n`);
  });

  it('json: file_diff on the change that has one, and no such key on the others', () => {
    const other = { ...edited!, address: 'addon.other.access', fileDiff: undefined };
    const json = JSON.parse(renderJson(planOf([edited!, other])));
    expect(json.changes[0].file_diff).toEqual({ file: FILE, lines: edited!.fileDiff!.lines, omitted: 0 });
    expect(json.changes[0].file_diff.lines).toContain('-host all all 0.0.0.0/0 trust');
    expect(Object.keys(json.changes[1])).not.toContain('file_diff');
  });
});

describe('files holding credentials', () => {
  it('backup settings and the cron entry out of date on the host: no file diff, no content in any rendering', () => {
    const d = desired();
    const files = {
      '/var/lib/dbform/.backup/shop/backup.env': { content: 'S3_SECRET_ACCESS_KEY=canary-9c1e\n', mode: '600', sha256: 'e'.repeat(64) },
      '/etc/cron.d/dbform-shop': { content: '0 1 * * * root RCLONE_PASS=canary-9c1e dbform-backup shop\n', mode: '644', sha256: 'f'.repeat(64) },
    };
    const withBackups = { ...d, backups: { ...d.backups, enabled: true, files, summary: { schedule: 'daily 01:00', storage: 's3' } } };
    const changes = diffBackups(withBackups, { '/var/lib/dbform/.backup/shop/backup.env': '0'.repeat(64), '/etc/cron.d/dbform-shop': '1'.repeat(64) });
    expect(changes.map((c) => [c.action, c.fileDiff])).toEqual([['update', undefined]]);
    const plan = planOf(changes);
    for (const out of [renderText(plan, { color: false }), renderMarkdown(plan), renderJson(plan)]) expect(out).not.toContain('canary-9c1e');
  });
});
