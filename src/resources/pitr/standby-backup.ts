import { shellJoin, shq } from '../../util/shell.js';
import { HA_DIR } from '../ha/dir.js';
import { CA_FILE, MEMBER_CERT, MEMBER_CLIENT_CERT } from '../ha/tls.js';
import { DNS_ADDRESS_PREFIX } from '../tls/server-cert.js';

// A highly available add-on's weekly full base backup is taken on its replica, as the seeds promise ("backups
// of business plans are taken on the secondary"): pgBackRest copies the replica's files and asks the primary
// only to start and stop the backup (backup-standby). pgBackRest reaches a PostgreSQL through its unix
// socket only, so the replica's pgBackRest reaches the primary's through a pgBackRest TLS server in the
// primary's container: every member's container runs one (memberCommand), which accepts the members' client
// certificates (fleet CA) for this add-on's stanza only. Pure renderers of that command and of the script the
// weekly cron runs in the member's container (fullBackupScript).

/** A member of a highly available add-on with PITR, as its pgBackRest sees itself and the other member. */
export interface PitrMember {
  postgresPort: number;
  apiPort: number;
  /** The port of pgBackRest's TLS server in each member's container (ha-check.ts: the add-on's port + 3). */
  serverPort: number;
  self: { name: string; address: string };
  /** The other member (a cluster has exactly two). */
  peer: { name: string; address: string };
}

/** A member's data directory inside its container (Patroni's data_dir). */
const MEMBER_PGDATA = `${HA_DIR}/pgdata`;
/** Where the weekly script is, inside the member's container (with pgBackRest's settings, mounted read-only). */
export const FULL_BACKUP_SCRIPT = 'full-backup.sh';
/** A replica lagging more than this would back up an older state than the primary holds: the primary's turn. */
const HEALTHY_LAG = '16MB';

/** pgBackRest's TLS server options: the member's own server certificate, and the client certificates of the
 *  members (subject "ADDON MEMBER", ha/certs.ts) allowed for this stanza only. */
function serverOptions(addon: string, member: PitrMember): string[] {
  return [
    `--tls-server-address=${member.self.address}`,
    `--tls-server-port=${member.serverPort}`,
    `--tls-server-cert-file=${MEMBER_CERT.cert}`,
    `--tls-server-key-file=${MEMBER_CERT.key}`,
    `--tls-server-ca-file=${CA_FILE}`,
    ...[member.self.name, member.peer.name].sort().map((m) => `--tls-server-auth=${addon} ${m}=${addon}`),
  ];
}

/** Where the member's container keeps the pid of its pgBackRest TLS server. */
const SERVER_PID = '/tmp/pgbackrest-server.pid';

/** The member container's command with PITR: pgBackRest's TLS server in the background, started again whenever
 *  it ends, then Patroni as the container's process. */
export function memberCommand(addon: string, member: PitrMember, patroni: string[]): string[] {
  const server = shellJoin(['pgbackrest', 'server', ...serverOptions(addon, member)]);
  return ['sh', '-c', `while :; do ${server} & echo $! >${SERVER_PID}; wait $!; sleep 5; done & exec ${shellJoin(patroni)}`];
}

/** Shell run in a member's container after its certificates were renewed: pgBackRest's TLS server reads them
 *  only when it starts, so it is ended and the container's loop starts it again (nothing when it has none). */
export const RESTART_BACKUP_SERVER = `if [ -f ${SERVER_PID} ]; then kill "$(cat ${SERVER_PID})" 2>/dev/null; fi; true`;

/** Names a member's server certificate carries for pgBackRest: every member's address as a DNS name too
 *  (tls/server-cert.ts), since pgBackRest 2.45 matches a TLS server's certificate against DNS names only and
 *  the replica reaches the primary's TLS server by address. */
export function memberCertNames(member: PitrMember): string[] {
  return [member.self.address, member.peer.address].sort().map((a) => `${DNS_ADDRESS_PREFIX}${a}`);
}

/** The script the weekly cron runs in each member's container (as postgres). A healthy replica takes the full
 *  base backup from its own copy; the primary takes it only when the other member is not a healthy replica (as
 *  the daily backups decide: host/dbform-backup.sh); a member that is neither takes none. */
export function fullBackupScript(addon: string, member: PitrMember): string {
  const local = `https://127.0.0.1:${member.apiPort}`;
  const peerApi = `https://${member.peer.address}:${member.apiPort}`;
  const stanza = `--stanza=${addon}`;
  const fromStandby = shellJoin(['pgbackrest', stanza, '--type=full', '--backup-standby',
    `--pg2-host=${member.peer.address}`, '--pg2-host-type=tls', `--pg2-host-port=${member.serverPort}`,
    `--pg2-host-ca-file=${CA_FILE}`, `--pg2-host-cert-file=${MEMBER_CLIENT_CERT.cert}`, `--pg2-host-key-file=${MEMBER_CLIENT_CERT.key}`,
    `--pg2-path=${MEMBER_PGDATA}`, `--pg2-port=${member.postgresPort}`, '--pg2-socket-path=/tmp', 'backup']);
  return [
    '#!/bin/sh',
    `# dbform: the weekly full base backup of ${addon}, run by cron in the member's container on ${member.self.name}; changes here are reverted.`,
    'set -u',
    `api() { curl -sf -m 5 -o /dev/null --cacert ${shq(CA_FILE)} "$1"; }`,
    `# A healthy replica (lag under ${HEALTHY_LAG}) copies its own files; the primary only starts and stops the backup.`,
    `if api ${shq(`${local}/replica?lag=${HEALTHY_LAG}`)}; then exec ${fromStandby}; fi`,
    '# Neither a healthy replica nor the primary: not this member\'s turn.',
    `api ${shq(`${local}/primary`)} || exit 0`,
    '# The primary: the other member takes it when it is a healthy replica.',
    `api ${shq(`${peerApi}/replica?lag=${HEALTHY_LAG}`)} && exit 0`,
    `exec ${shellJoin(['pgbackrest', stanza, '--type=full', 'backup'])}`,
    '',
  ].join('\n');
}
