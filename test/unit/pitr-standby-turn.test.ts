import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fullBackupScript } from '../../src/resources/pitr/standby-backup.js';

// Whose turn the weekly full base backup of a highly available add-on is, as the rendered script decides it: the
// script itself, run by sh, with a `curl` on its PATH that answers Patroni's health checks from a table (URL ->
// HTTP status) and a `pgbackrest` that records how it was called instead of backing anything up.

const dir = mkdtempSync(join(tmpdir(), 'dbform-full-turn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

writeFileSync(join(dir, 'curl'), `#!/bin/sh
echo "$*" >>"$FAKE_LOG"
for last; do :; done
code=$(awk -v u="$last" '$1 == u { print $2 }' "$FAKE_API")
[ "\${code:-000}" = 200 ]
`);
writeFileSync(join(dir, 'pgbackrest'), '#!/bin/sh\necho "pgbackrest $*" >>"$FAKE_LOG"\n');
chmodSync(join(dir, 'curl'), 0o755);
chmodSync(join(dir, 'pgbackrest'), 0o755);

const member = { postgresPort: 31002, apiPort: 31003, serverPort: 31004, self: { name: 'db-2', address: '10.77.0.12' }, peer: { name: 'db-1', address: '10.77.0.11' } };
const LOCAL = 'https://127.0.0.1:31003';
const PEER = 'https://10.77.0.11:31003';

function run(api: Record<string, number>): { code: number | null; backup: string | undefined; asked: string[] } {
  const script = join(dir, 'full-backup.sh');
  writeFileSync(script, fullBackupScript('orders', member));
  writeFileSync(join(dir, 'api'), Object.entries(api).map(([u, c]) => `${u} ${c}`).join('\n') + '\n');
  const log = join(dir, 'calls.log');
  writeFileSync(log, '');
  const r = spawnSync('sh', [script], { encoding: 'utf8', env: { PATH: `${dir}:/usr/bin:/bin`, FAKE_LOG: log, FAKE_API: join(dir, 'api') } });
  const calls = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  return { code: r.status, backup: calls.find((c) => c.startsWith('pgbackrest ')), asked: calls.filter((c) => !c.startsWith('pgbackrest ')).map((c) => c.split(' ').pop()!) };
}

describe('the weekly full base backup of a cluster', () => {
  it('a healthy replica takes it from its own copy, reaching the primary through its pgBackRest TLS server', () => {
    const r = run({ [`${LOCAL}/replica?lag=16MB`]: 200 });
    expect(r.code).toBe(0);
    expect(r.asked).toEqual([`${LOCAL}/replica?lag=16MB`]);
    expect(r.backup).toBe('pgbackrest --stanza=orders --type=full --backup-standby --pg2-host=10.77.0.11 --pg2-host-type=tls --pg2-host-port=31004 ' +
      '--pg2-host-ca-file=/var/lib/dbform/tls/root.crt --pg2-host-cert-file=/var/lib/dbform/tls/etcd-client.crt --pg2-host-key-file=/var/lib/dbform/tls/etcd-client.key ' +
      '--pg2-path=/var/lib/dbform/pgdata --pg2-port=31002 --pg2-socket-path=/tmp backup');
  });

  it('the primary leaves it to a healthy replica, asking the replica\'s own API', () => {
    const r = run({ [`${LOCAL}/primary`]: 200, [`${PEER}/replica?lag=16MB`]: 200 });
    expect(r.code).toBe(0);
    expect(r.asked).toEqual([`${LOCAL}/replica?lag=16MB`, `${LOCAL}/primary`, `${PEER}/replica?lag=16MB`]);
    expect(r.backup).toBeUndefined();
  });

  it('the primary takes it itself when the other member is not a healthy replica (down, or lagging)', () => {
    const r = run({ [`${LOCAL}/primary`]: 200, [`${PEER}/replica?lag=16MB`]: 503 });
    expect(r.code).toBe(0);
    expect(r.backup).toBe('pgbackrest --stanza=orders --type=full backup');
  });

  it('a member that is neither a healthy replica nor the primary takes none', () => {
    const r = run({});
    expect(r.code).toBe(0);
    expect(r.asked).toEqual([`${LOCAL}/replica?lag=16MB`, `${LOCAL}/primary`]);
    expect(r.backup).toBeUndefined();
  });

  it('verifies every Patroni API against the fleet CA', () => {
    run({ [`${LOCAL}/primary`]: 200 });
    const calls = readFileSync(join(dir, 'calls.log'), 'utf8').split('\n').filter((c) => c && !c.startsWith('pgbackrest'));
    expect(calls).toHaveLength(3);
    for (const c of calls) expect(c).toMatch(/^-sf -m 5 -o \/dev\/null --cacert \/var\/lib\/dbform\/tls\/root\.crt https:/);
  });
});
