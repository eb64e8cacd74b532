import type { Host } from '../../hosts/host.js';
import { shellJoin, shq } from '../../util/shell.js';
import { HA_DIR } from './dir.js';
import { ETCD_CLIENT_CERT, etcdCurlTls } from './tls.js';

/** Deletes a highly available add-on's state in the consensus store (Patroni's keys under /dbform/ADDON/: its
 *  leader, members, configuration and initialize key), so that the next Patroni to start takes the cluster
 *  afresh. etcd's addresses come from the member's own patroni.yml in `dir`; its v3 HTTP gateway deletes the
 *  key range, asked with the member's client certificate (etcd refuses a client without one), with curl from
 *  `image` (the host itself may have none). Whether it succeeded: some etcd member answered. */
export async function deleteClusterState(host: Pick<Host, 'exec'>, dir: string, addon: string, image: string): Promise<boolean> {
  if (!/^[a-z][a-z0-9-]{1,40}$/.test(addon)) throw new Error(`${addon} is not an add-on name`);
  const b64 = (t: string) => Buffer.from(t).toString('base64');
  const body = JSON.stringify({ key: b64(`/dbform/${addon}/`), range_end: b64(`/dbform/${addon}0`) });
  const hosts = `sed -n '/^etcd3:/,/^[a-z]/p' ${shq(`${dir}/patroni.yml`)} 2>/dev/null | grep -oE '^ *- [0-9a-f.:]+:[0-9]+' | grep -oE '[0-9a-f.:]+:[0-9]+'`;
  const curl = shellJoin(['curl', '-sf', '-m', '3', ...etcdCurlTls(ETCD_CLIENT_CERT), '-X', 'POST', '-d', body]);
  const loop = `for h in "$@"; do ${curl} "https://$h/v3/kv/deleterange" >/dev/null && exit 0; done; exit 1`;
  const mount = shellJoin(['-v', `${dir}:${HA_DIR}:ro`]);
  return (await host.exec(`docker run --rm --network host ${mount} ${shq(image)} sh -c ${shq(loop)} sh $(${hosts})`)).code === 0;
}
