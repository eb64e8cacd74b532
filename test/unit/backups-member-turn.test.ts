import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// Whose turn a backup of a highly available add-on is, as host/dbform-backup.sh decides it: the real script,
// run by bash, with a `docker` on its PATH that answers Patroni's health checks from a table (the HTTP status
// of each URL) and fails any `docker run`, so the script stops right where it would start the dump. What it
// logs shows whether it went on to take the backup, and as which role.

const SCRIPT = fileURLToPath(new URL('../../host/dbform-backup.sh', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'dbform-turn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FAKE_DOCKER = `#!/bin/bash
echo "$*" >>"$FAKE_LOG"
if [ "$1" = exec ] && [ "$3" = curl ]; then
  code=$(awk -v u="\${@: -1}" '$1 == u { print $2 }' "$FAKE_API")
  printf '%s' "\${code:-000}"
  exit 0
fi
[ "$1" = exec ] && { echo 'postgres (PostgreSQL) 15.10'; exit 0; }
exit 42 # docker run: where the backup itself would start
`;
writeFileSync(join(dir, 'docker'), FAKE_DOCKER);
chmodSync(join(dir, 'docker'), 0o755);

const LOCAL = 'https://127.0.0.1:31003';
const PEER = 'https://10.77.0.12:31003';

/** Runs the script on a member whose Patroni APIs answer `api` (URL -> HTTP status); `ha: false`: a single instance. */
function run(name: string, api: Record<string, number>, ha = true): { code: number | null; stderr: string; took: string | null; asked: string[]; verified: boolean } {
  const conf = join(dir, name);
  spawnSync('mkdir', ['-p', conf]);
  const env = ['ADDON=orders', 'CONTAINER=dbform-orders', 'PORT=31002', 'DATABASE=orders', 'IMAGE=dbform-postgresql:15', `HOST_NAME=${name}`];
  if (ha) env.push('HA_API_PORT=31003', `HA_PEER_APIS=${PEER}`);
  writeFileSync(join(conf, 'backup.env'), env.join('\n') + '\n');
  writeFileSync(join(conf, 'api'), Object.entries(api).map(([u, c]) => `${u} ${c}`).join('\n') + '\n');
  const log = join(conf, 'docker.log');
  writeFileSync(log, '');
  const r = spawnSync('bash', [SCRIPT, join(conf, 'backup.env'), 'daily'], {
    encoding: 'utf8',
    env: { PATH: `${dir}:/usr/bin:/bin`, FAKE_LOG: log, FAKE_API: join(conf, 'api') },
  });
  const calls = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  const started = calls.find((c) => c.startsWith('run '));
  return {
    code: r.status,
    stderr: r.stderr,
    took: started ? /-e HA_ROLE=(\S*)/.exec(started)![1]! : null,
    asked: calls.filter((c) => c.includes(' curl ')).map((c) => c.split(' ').pop()!),
    verified: calls.filter((c) => c.includes(' curl ')).every((c) => c.includes(' --cacert /var/lib/dbform/tls/root.crt ') && !/ -k | --insecure /.test(c)),
  };
}

describe("a member's turn to take the backup", () => {
  it('a healthy replica takes it, without asking anyone else', () => {
    const r = run('db-2', { [`${LOCAL}/replica?lag=16MB`]: 200 });
    expect(r.took).toBe('replica');
    expect(r.code).toBe(42);
    expect(r.asked).toEqual([`${LOCAL}/replica?lag=16MB`]);
    expect(r.verified).toBe(true);
  });

  it('the primary declines (exit 3) while the peer answers as a healthy replica', () => {
    const r = run('db-1', { [`${LOCAL}/replica?lag=16MB`]: 503, [`${LOCAL}/primary`]: 200, [`${PEER}/replica?lag=16MB`]: 200 });
    expect([r.code, r.took]).toEqual([3, null]);
    expect(r.stderr).toContain('backup of orders not taken on db-1 (the primary): the replica at 10.77.0.12:31003 takes it');
    expect(r.asked).toEqual([`${LOCAL}/replica?lag=16MB`, `${LOCAL}/primary`, `${PEER}/replica?lag=16MB`]);
    expect(r.verified).toBe(true);
  });

  it('the primary takes it when the peer is unreachable, or no healthy replica', () => {
    for (const peer of [undefined, 503]) {
      const api: Record<string, number> = { [`${LOCAL}/primary`]: 200 };
      if (peer) api[`${PEER}/replica?lag=16MB`] = peer;
      const r = run('db-1', api);
      expect([r.code, r.took]).toEqual([42, 'primary']);
    }
  });

  it('a member that is neither (stopped, starting, lagging with no leader lock) declines', () => {
    const r = run('db-2', {});
    expect([r.code, r.took]).toEqual([3, null]);
    expect(r.stderr).toContain('backup of orders not taken on db-2: this member is neither a healthy replica nor the primary');
  });

  it('never both, never neither: whatever the replica\'s API answers, exactly one of the two members takes it', () => {
    for (const replicaAnswer of [200, 503, undefined]) {
      const replicaApi: Record<string, number> = replicaAnswer === undefined ? {} : { [`${LOCAL}/replica?lag=16MB`]: replicaAnswer };
      const peerApi: Record<string, number> = replicaAnswer === undefined ? {} : { [`${PEER}/replica?lag=16MB`]: replicaAnswer };
      const replica = run('db-2', replicaApi);
      const primary = run('db-1', { [`${LOCAL}/replica?lag=16MB`]: 503, [`${LOCAL}/primary`]: 200, ...peerApi });
      expect([replica.took, primary.took].filter(Boolean), `replica's API answers ${replicaAnswer ?? 'nothing'}`).toHaveLength(1);
    }
  });

  it('a single instance asks nobody and takes it', () => {
    const r = run('db-3', {}, false);
    expect([r.code, r.took, r.asked]).toEqual([42, '', []]);
  });
});
