import type { Host } from '../../hosts/host.js';
import { shellJoin, shq } from '../../util/shell.js';
import { HA_DIR } from './dir.js';
import { ETCD_CONTAINER } from './desired.js';
import { ETCD_CLIENT_PORT } from './render.js';
import { ETCD_CLIENT_CERT, ETCD_MEMBER_CERT, etcdCurlTls } from './tls.js';

/** etcd's v3 HTTP gateway request deleting every key of an add-on (Patroni's namespace /dbform/ADDON/). */
function deleteRangeBody(addon: string): string {
  if (!/^[a-z][a-z0-9-]{1,40}$/.test(addon)) throw new Error(`${addon} is not an add-on name`);
  const b64 = (t: string) => Buffer.from(t).toString('base64');
  return JSON.stringify({ key: b64(`/dbform/${addon}/`), range_end: b64(`/dbform/${addon}0`) });
}

/** Deletes a highly available add-on's state in the consensus store (Patroni's keys under /dbform/ADDON/: its
 *  leader, members, configuration and initialize key), so that the next Patroni to start takes the cluster
 *  afresh. etcd's addresses come from the member's own patroni.yml in `dir`; its v3 HTTP gateway deletes the
 *  key range, asked with the member's client certificate (etcd refuses a client without one), with curl from
 *  `image` (the host itself may have none). Whether it succeeded: some etcd member answered. */
export async function deleteClusterState(host: Pick<Host, 'exec'>, dir: string, addon: string, image: string): Promise<boolean> {
  const body = deleteRangeBody(addon);
  const hosts = `sed -n '/^etcd3:/,/^[a-z]/p' ${shq(`${dir}/patroni.yml`)} 2>/dev/null | grep -oE '^ *- [0-9a-f.:]+:[0-9]+' | grep -oE '[0-9a-f.:]+:[0-9]+'`;
  const curl = shellJoin(['curl', '-sf', '-m', '3', ...etcdCurlTls(ETCD_CLIENT_CERT), '-X', 'POST', '-d', body]);
  const loop = `for h in "$@"; do ${curl} "https://$h/v3/kv/deleterange" >/dev/null && exit 0; done; exit 1`;
  const mount = shellJoin(['-v', `${dir}:${HA_DIR}:ro`]);
  return (await host.exec(`docker run --rm --network host ${mount} ${shq(image)} sh -c ${shq(loop)} sh $(${hosts})`)).code === 0;
}

/** The same, asked of the etcd member running on `host` (a consensus host), with that member's own certificate
 *  (a client of its peers too): for an add-on that has no member yet, hence no directory or certificate of its
 *  own. How many keys were deleted; null when no etcd runs on the host (none made yet: then it holds nothing). */
export async function deleteClusterStateAt(host: Pick<Host, 'exec' | 'name'>, addon: string): Promise<number | null> {
  const running = await host.exec(`docker inspect -f '{{.State.Running}}' ${shq(ETCD_CONTAINER)} 2>/dev/null`);
  if (running.stdout.trim() !== 'true') return null;
  const curl = ['curl', '-sf', '-m', '5', ...etcdCurlTls(ETCD_MEMBER_CERT), '-X', 'POST', '-d', deleteRangeBody(addon), `https://127.0.0.1:${ETCD_CLIENT_PORT}/v3/kv/deleterange`];
  const r = await host.exec(shellJoin(['docker', 'exec', ETCD_CONTAINER, ...curl]));
  if (r.code !== 0) throw new Error(`the consensus store on ${host.name} does not answer (curl exit ${r.code})`);
  // {"header":{...},"deleted":"3"}: etcd's JSON gateway leaves out a count of 0.
  return Number((JSON.parse(r.stdout) as { deleted?: string }).deleted ?? 0);
}
