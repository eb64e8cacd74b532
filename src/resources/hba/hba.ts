import { REPLICATION_ROLE } from '../replica/model.js';

// pg_hba.conf as dbform renders it from `tls.force` and `allowedIps`. The superuser may only come from
// the host's loopback (dbform reaches it through SSH); everyone else needs a password (SCRAM), from the
// allowed ranges only, and over TLS when it is forced. The last line rejects everything else explicitly.

// Read replicas (replicationFrom) stream WAL as dbform's replication role, over TLS, from their host's address
// only; `all` in the database column never matches a replication connection, so nothing else can.
export function renderHba(opts: { force: boolean; allowedIps: string[]; replicationFrom?: string[] }): string {
  const ranges = opts.allowedIps.length ? opts.allowedIps : ['0.0.0.0/0', '::/0'];
  const type = opts.force ? 'hostssl' : 'host';
  const replication = (opts.replicationFrom ?? []).map((a) => `hostssl replication  ${REPLICATION_ROLE}  ${a.includes(':') ? `${a}/128` : `${a}/32`}  scram-sha-256`);
  return [
    '# managed by dbform from databases.yaml: changes made here are reverted',
    'local   all  all       peer',
    'host    all  postgres  127.0.0.1/32  scram-sha-256',
    'host    all  postgres  ::1/128       scram-sha-256',
    'host    all  postgres  all           reject',
    ...ranges.map((cidr) => `${type.padEnd(7)} all  all       ${cidr}  scram-sha-256`),
    ...replication,
    'host    all  all       all           reject',
    '',
  ].join('\n');
}

// pg_hba.conf can carry credentials in auth options (ldapbindpasswd=..., radiussecrets=...), and a hand
// edit may have added some: their values never reach a plan.
const SECRET_OPTION = /\b([a-z_]*(?:passw|secret)[a-z_]*)([ \t]*=[ \t]*)("[^"]*"?|[^\s"]*)/gi;

/** The file's text with the value of every password or secret option replaced by `***`. */
export function maskHbaSecrets(hba: string): string {
  return hba.replace(SECRET_OPTION, '$1$2***');
}
