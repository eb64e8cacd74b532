import type { Executor } from '../../apply/context.js';
import { field } from '../../apply/context.js';
import type { Step } from '../../plan/types.js';
import { shellJoin } from '../../util/shell.js';
import { HA_DIR } from '../ha/dir.js';
import { PATRONI_CURL_CHANGE_TLS } from '../ha/tls.js';
import { isApiAddress, stringList } from '../ha/step-fields.js';
import { SLOT_PREFIX } from '../replica/model.js';
import type { DesiredClusterSlots } from './model.js';

// Adds or removes one permanent slot in a cluster's dynamic configuration: PATCH /config through the first
// member's API that answers (a change: with the member's client certificate of the fleet CA), as dbform's
// settings changes are stored (patroni/apply.ts). Patroni merges the patch; null removes the slot. Its primary
// makes or drops the slot itself within a loop (loop_wait, 1 s); an active one is dropped once its replica
// lets go of it (removed on its own host by this same apply).

const DIR = /^\/[^\0]+\/[a-z][a-z0-9-]{1,40}$/;

/** The step's member and APIs, refused unless they are a member's (a plan file is input). */
function target(step: Step): { member: DesiredClusterSlots['member']; apis: string[] } {
  const member = field<DesiredClusterSlots['member']>(step, 'member', 'object');
  const apis = stringList(step, 'apis');
  const ok = /^dbform-[a-z0-9-]+$/.test(member.container) && typeof member.image === 'string' && DIR.test(member.dir) && apis.length > 0 && apis.every(isApiAddress);
  if (!ok) throw new Error('plan step cluster-slots.set: not a cluster member or its APIs');
  return { member, apis };
}

const set: Executor = async (step, ctx) => {
  const addon = field<string>(step, 'addon', 'string');
  const slot = field<string>(step, 'slot', 'string');
  const present = field<boolean>(step, 'present', 'boolean');
  if (!slot.startsWith(SLOT_PREFIX) || !/^[a-z0-9_]+$/.test(slot)) throw new Error('plan step cluster-slots.set: not a read replica\'s slot');
  const { member, apis } = target(step);
  const body = JSON.stringify({ slots: { [slot]: present ? { type: 'physical' } : null } });
  const curl = shellJoin(['curl', '-sf', '-m', '5', ...PATRONI_CURL_CHANGE_TLS, '-X', 'PATCH']);
  // Five rounds: a member made again by this same apply may not answer, and a change of the configuration made
  // at the same moment (its settings, stored by patroni.ensure on another host) makes Patroni answer 409.
  const loop = `body=$1; shift; for i in 1 2 3 4 5; do for u in "$@"; do ${curl} -d "$body" "$u/config" >/dev/null && exit 0; done; sleep 1; done; exit 1`;
  ctx.progress(`${present ? 'adding' : 'removing'} the permanent slot ${slot} of ${addon}`);
  const r = await ctx.host.exec(shellJoin(['docker', 'run', '--rm', '--network', 'host', '-v', `${member.dir}:${HA_DIR}:ro`, member.image, 'sh', '-c', loop, 'sh', body, ...apis]));
  if (r.code !== 0) throw new Error(`host ${ctx.host.name}: cannot change the permanent slots of ${addon}: no member's API answers (${apis.join(', ')})`);
};

export const clusterSlotsExecutors: Record<string, Executor> = { 'cluster-slots.set': set };
