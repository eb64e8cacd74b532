import { shellJoin, shq } from '../../util/shell.js';
import { PATRONI_CURL_TLS } from '../ha/tls.js';
import { SLOT_PREFIX } from '../replica/model.js';

// Read-only: the permanent slots of a cluster's dynamic configuration (Patroni's GET /config), asked from
// inside the member's container (the image has curl; its directory the fleet CA), of the first API that answers.

/** The command: the first answer of GET /config among `apis`. */
export function clusterConfigCommand(container: string, apis: string[]): string {
  const curl = shellJoin(['curl', '-sf', '-m', '2', ...PATRONI_CURL_TLS]);
  const loop = `for u in "$@"; do ${curl} "$u/config" && exit 0; done; exit 1`;
  return `docker exec ${shq(container)} sh -c ${shq(loop)} sh ${apis.map(shq).join(' ')}`;
}

/** Pure: GET /config's answer -> the names of dbform's permanent slots in it; null when it is not JSON. */
export function parseClusterSlots(stdout: string): string[] | null {
  try {
    const doc = JSON.parse(stdout) as { slots?: Record<string, unknown> | null };
    return Object.keys(doc.slots ?? {}).filter((s) => s.startsWith(SLOT_PREFIX)).sort();
  } catch {
    return null;
  }
}
