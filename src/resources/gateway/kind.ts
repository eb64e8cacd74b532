import type { Executor } from '../../apply/context.js';
import { field } from '../../apply/context.js';
import { shellJoin, shq } from '../../util/shell.js';
import { GATEWAY_STATS_SOCKET } from '../ha/render.js';
import type { ResourceKind } from '../kind.js';
import { gatewayPlacements } from '../ha/desired.js';
import { diffHaContainer } from '../ha/diff.js';
import { gatherHaUnit } from '../ha/gather-unit.js';
import { removalChange, removeHaContainer, undeclaredHa } from '../ha/undeclared.js';
import type { DesiredGateway, ObservedHaUnit } from '../ha/model.js';
import { prepareDir, startContainer, stepSpec } from '../ha/run-container.js';
import { ensureCaFile } from '../ha/certs.js';

// The gateway of a highly available add-on: HAProxy on each member host, at the add-on's port, routing to
// whichever member Patroni calls the primary. DATABASE_URL names the gateways, so it survives a failover.
// Its health checks ask Patroni's API over HTTPS: its directory holds the fleet CA's certificate.

/** Exits 0 once HAProxy's statistics (CSV) show it has checked every member: exactly one UP (the primary),
 *  the others DOWN. Until its first checks HAProxy counts every server as up, so a connection made then (the
 *  users and database that follow) could land on the replica and fail as read-only. */
export const ONE_PRIMARY_AWK = `BEGIN { FS = "," }
/^# / { sub(/^# /, ""); for (i = 1; i <= NF; i++) col[$i] = i; next }
$1 == "primary" && $2 != "FRONTEND" && $2 != "BACKEND" { n++; s = $col["status"]; if (s == "UP") up++; else if (s ~ /^DOWN/) down++ }
END { exit !(n > 0 && up == 1 && up + down == n) }`;

const ensure: Executor = async (step, ctx) => {
  const spec = stepSpec(step);
  const port = field<number>(step, 'port', 'number');
  await prepareDir(ctx, spec);
  await ensureCaFile(ctx, spec.dir);
  await ctx.forget(spec.addon);
  await startContainer(ctx, spec, false);
  // Ready once it routes to the primary alone and reaches it: the SQL changes that follow go through it.
  const stats = `curl -sf -m 1 --unix-socket ${GATEWAY_STATS_SOCKET} 'http://gateway/;csv'`;
  const ready = `csv=$(${stats}) && printf '%s\n' "$csv" | awk ${shq(ONE_PRIMARY_AWK)} && pg_isready -q -h 127.0.0.1 -p ${port}`;
  const loop = `i=0; while [ $i -lt 480 ]; do ${ready} && exit 0; i=$((i+1)); sleep 0.25; done; exit 1`;
  const r = await ctx.host.exec(shellJoin(['docker', 'exec', spec.name, 'sh', '-c', loop]));
  if (r.code !== 0) throw new Error(`host ${ctx.host.name}: the gateway of ${spec.addon} has not routed to exactly one primary within 120 s`);
};

export const gatewayKind: ResourceKind<DesiredGateway, ObservedHaUnit> = {
  kind: 'gateway',
  scope: 'addon',
  reads: 'host',
  desired: gatewayPlacements,
  gather: (read, placed) => gatherHaUnit(read, placed.desired.spec),
  undeclared: (read, declared) => undeclaredHa(read, declared, 'gateway'),
  diff: (placed, observed) =>
    !placed.desired
      ? removalChange(placed, observed, `addon.${placed.addon}.gateway.${placed.host}`, 'gateway')
      : diffHaContainer(placed, placed.desired.spec, observed, {
          address: `addon.${placed.addon}.gateway.${placed.host}`,
          kind: 'gateway',
          stepType: 'gateway.ensure',
          step: { port: placed.desired.port },
          restartHazard: { code: 'RESTART', message: `the gateway of ${placed.addon} on ${placed.host} restarts: its open connections are cut` },
        }),
  executors: { 'gateway.ensure': ensure, 'ha.remove': removeHaContainer },
  hazards: ['RESTART'],
};
