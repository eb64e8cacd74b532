import { createHash } from 'node:crypto';
import { parse, stringify } from 'yaml';
import type { Change } from '../../plan/types.js';
import type { DesiredPatroni, HaContainerSpec, ObservedPatroni } from '../ha/model.js';
import { consensusHosts, patroniStartOnly } from '../ha/render.js';
import { specHash } from '../ha/spec-hash.js';

// Pure: a Patroni member and the consensus store's addresses in its patroni.yml (etcd3 hosts). Patroni reads
// that list only when it starts; afterwards it follows the store's membership from etcd itself (it asks etcd
// for its members every ttl*10 s and whenever a member stops answering: Patroni 3.0's etcd.py,
// _refresh_machines_cache), and a reload (SIGHUP) does not read the list again. So when the store moves
// (etcd/move.ts), a running member needs neither a restart nor a reload: its patroni.yml is rewritten for its
// next start, and the member still counts as running what the file asks for.

/** The spec `spec` would be had its patroni.yml named `hosts`: what a member started with `hosts` runs. */
export function specWithConsensus(spec: HaContainerSpec, hosts: readonly string[]): HaContainerSpec {
  return { ...spec, startOnly: patroniStartOnly(spec.files['patroni.yml'] ?? '', hosts) };
}

/** patroni.yml with another list of the consensus store's addresses (rendered as patroniConfig does). */
export function withConsensus(patroniYml: string, hosts: readonly string[]): string {
  const nl = patroniYml.indexOf('\n');
  const doc = parse(patroniYml) as { etcd3?: Record<string, unknown> };
  if (doc.etcd3) doc.etcd3 = { ...doc.etcd3, hosts: [...hosts] };
  return patroniYml.slice(0, nl + 1) + stringify(doc, { lineWidth: 0 });
}

const sha256 = (t: string) => createHash('sha256').update(t).digest('hex');

/** Hashes of specs the running member counts as (see diffHaContainer's sameAs): started with another list. */
export function sameAsStarted(spec: HaContainerSpec, observed: ObservedPatroni): string[] {
  const hosts = observed.consensusAtStart;
  return hosts ? [specHash(specWithConsensus(spec, hosts))] : [];
}

/** The change that rewrites patroni.yml when the consensus store's addresses are all that differ in it, and
 *  the running member counts as running the desired spec; null otherwise (ha/diff.ts decides). */
export function repointChange(placed: { addon: string; host: string; desired: DesiredPatroni }, observed: ObservedPatroni, address: string): Change | null {
  const c = observed.container;
  const yml = placed.desired.spec.files['patroni.yml'];
  const onHost = observed.files['patroni.yml'];
  const fileHosts = observed.consensusInFile;
  if (!c?.running || !yml || !onHost || !fileHosts || onHost === sha256(yml)) return null;
  if (c.spec !== specHash(placed.desired.spec) && !sameAsStarted(placed.desired.spec, observed).includes(c.spec)) return null;
  if (sha256(withConsensus(yml, fileHosts)) !== onHost) return null;
  const hosts = consensusHosts(yml);
  return {
    address, kind: 'patroni', host: placed.host, addon: placed.addon, action: 'update',
    reason: `patroni.yml names the consensus store's members now (${hosts.join(', ')}): rewritten for Patroni's next start, without a restart or reload (the running Patroni follows the store's membership from etcd itself)`,
    before: { consensus: fileHosts }, after: { consensus: hosts }, hazards: [],
    steps: [{ type: 'patroni.repoint', spec: placed.desired.spec as never }],
  };
}
