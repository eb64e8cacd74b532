import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cpuPercent, memoryFigures } from '../../src/status/cgroup.js';
import { parseProbe, probeCommand, windowWait } from '../../src/status/probe.js';
import { PROBE_AWK } from '../../src/status/probe-awk.js';
import { shq } from '../../src/util/shell.js';

// The host probe's answer (recorded, cgroup v1 and v2) -> figures; and the command it sends only reads.

const recorded = (name: string) => readFileSync(new URL(`./recorded/status/${name}`, import.meta.url), 'utf8');
/** What the recorded answers were probed for: du and df name these data directories. */
const PROBED = [{ name: 'shop', dataDir: '/var/lib/dbform/shop', pitr: true }, { name: 'old', dataDir: '/var/lib/dbform/old', pitr: false }];

describe('parseProbe', () => {
  it('reads a cgroup v1 host: containers, memory files, two CPU readings, disk, pgbackrest info', () => {
    const p = parseProbe(recorded('probe-cgroup-v1.txt'), PROBED);
    expect(p.cgroupVersion).toBe(1);
    expect([...p.containers.keys()]).toEqual(['shop', 'old']);
    expect(p.containers.get('old')).toMatchObject({ running: false, status: 'exited' });
    expect(p.memory.get('shop')!['memory.limit_in_bytes']).toBe('268435456');
    expect(p.memory.has('old')).toBe(false);
    expect(p.cpu[0].get('shop')).toEqual({ atNs: 1764504000000000000n, usageNs: 5000000000n });
    expect(p.cpu[1].get('shop')).toEqual({ atNs: 1764504000250000000n, usageNs: 5062500000n });
    expect(p.diskUsage.get('shop')).toBe(48234496);
    expect(p.filesystem.get('shop')).toEqual({ size: 52521566208, free: 31457280000 });
    expect(p.pitrInfo.get('shop')!.ok).toBe(true);
    expect(JSON.parse(p.pitrInfo.get('shop')!.text)[0].name).toBe('shop');
  });

  it('reads a cgroup v2 host', () => {
    const p = parseProbe(recorded('probe-cgroup-v2.txt'), PROBED);
    expect(p.cgroupVersion).toBe(2);
    expect(p.memory.get('shop')!['memory.peak']).toBe('157286400');
    expect(p.pitrInfo.size).toBe(0);
  });

  it('keeps a failed pgbackrest info as text; ignores readings that are not numbers and directories not probed', () => {
    const p = parseProbe('@@cgroup 2\n@@clock0 1000\n@@cpu0 shop \n@@cpu1 shop 5\n@@du\nx\t/var/lib/dbform/shop/pgdata\n12\t/elsewhere/pgdata\n@@pitr shop failed\nERROR: [055]: unable to load info file\n', PROBED);
    expect(p.cpu[0].size).toBe(0);
    expect(p.cpu[1].size).toBe(0); // no clock1 reading: no time to pair the usage with
    expect(p.diskUsage.size).toBe(0);
    expect(p.pitrInfo.get('shop')).toEqual({ ok: false, text: 'ERROR: [055]: unable to load info file' });
  });
});

describe('parseProbe of a host with a cluster member, its gateway and a read replica', () => {
  const probed = [
    { name: 'orders', dataDir: '/var/lib/dbform/orders', pitr: false },
    { name: 'shop/replica', dataDir: '/var/lib/dbform/.replicas/shop', pitr: false, guard: false },
  ];
  const p = parseProbe(recorded('probe-ha-gateway-replica.txt'), probed);

  it('keeps each container under its own key: the member under the add-on\'s name, ADDON/gateway, ADDON/replica', () => {
    expect([...p.containers.keys()]).toEqual(['orders', 'orders/gateway', 'shop/replica']);
    expect(p.memory.get('orders/gateway')!['memory.current']).toBe('9437184');
    expect(p.cpu[1].get('orders/gateway')).toEqual({ atNs: 1764504000200000000n, usageNs: 302000000n });
    expect(p.diskUsage.get('shop/replica')).toBe(30000000);
    expect(p.filesystem.get('shop/replica')).toEqual({ size: 52521566208, free: 31457280000 });
    expect(p.guard.has('shop/replica')).toBe(false);
    expect(p.guard.get('orders')).toEqual({ MODE: 'read-write', PERCENT: '3', CHECKED: '2026-11-30T12:09:00Z' });
  });

  it('reads a read replica\'s data directory but no disk guard status for it', () => {
    const tail = probeCommand(probed, 0.2);
    expect(tail).toContain('du -s -B1 /var/lib/dbform/orders/pgdata /var/lib/dbform/.replicas/shop/pgdata');
    expect(tail).toContain("echo '@@guard orders'");
    expect(tail).not.toContain('@@guard shop');
  });
});

describe('memoryFigures', () => {
  it('v1: usage less the inactive file cache, peak, limit, swap from memsw', () => {
    const p = parseProbe(recorded('probe-cgroup-v1.txt'), PROBED);
    expect(memoryFigures(p.memory.get('shop')!, 1)).toEqual({
      current: 61440000 - 20480000,
      peak: 90112000,
      limit: 268435456,
      free: 268435456 - 40960000,
      swapCurrent: 0,
      swapLimit: 268435456,
    });
  });

  it('v2: memory.current less inactive_file, memory.peak, "max" as no limit', () => {
    const p = parseProbe(recorded('probe-cgroup-v2.txt'), PROBED);
    expect(memoryFigures(p.memory.get('shop')!, 2)).toEqual({
      current: 100000000,
      peak: 157286400,
      limit: 536870912,
      free: 436870912,
      swapCurrent: 4096,
      swapLimit: null,
    });
  });

  it('an unlimited v1 cgroup and missing swap accounting give nulls, not huge numbers', () => {
    const f = memoryFigures({ 'memory.usage_in_bytes': '1000', 'memory.limit_in_bytes': '9223372036854771712' }, 1);
    expect(f).toEqual({ current: 1000, peak: null, limit: null, free: null, swapCurrent: null, swapLimit: null });
  });
});

describe('cpuPercent', () => {
  it('is the CPU time used over the time elapsed between the two readings', () => {
    expect(cpuPercent({ atNs: 0n, usageNs: 0n }, { atNs: 250_000_000n, usageNs: 62_500_000n })).toBe(25);
    expect(cpuPercent({ atNs: 0n, usageNs: 0n }, { atNs: 100_000_000n, usageNs: 150_000_000n })).toBe(150);
  });

  it('is unknown without two readings or when the clock did not move', () => {
    expect(cpuPercent(undefined, { atNs: 1n, usageNs: 1n })).toBeNull();
    expect(cpuPercent({ atNs: 5n, usageNs: 1n }, { atNs: 5n, usageNs: 2n })).toBeNull();
  });
});

describe('probeCommand', () => {
  const probed = [{ name: 'shop', dataDir: '/var/lib/dbform/shop', pitr: true }, { name: "o'dd", dataDir: "/data/o'dd", pitr: false }];
  const cmd = probeCommand(probed, 0.3);

  it('reads the containers and their cgroups, the disks, then the second CPU reading after the wait', () => {
    // Single instances, highly available add-ons' Patroni members and gateways, read replicas, in one listing.
    expect(cmd).toContain(`docker ps -a --format '{{.ID}}:{{.Label "dbform.managed"}}:{{.Label "dbform.ha"}}:{{.Label "dbform.replica-of"}}'`);
    expect(cmd).toContain(`awk -F: '$2 == "true" || $3 == "patroni" || $3 == "gateway" || $4 != "" { print $1 }'`);
    expect(cmd).toContain('/proc/');
    expect(cmd.match(/\bdocker (inspect|ps)\b/g)).toEqual(['docker ps', 'docker inspect']); // one listing, one inspect for every container
    const order = ['mode=memory', 'c0=$(date +%s%N)', 'mode=cpu0', 'du -s -B1', 'pgbackrest', windowWait(0.3), 'mode=cpu1'].map((part) => cmd.indexOf(part));
    expect(order.every((at, i) => at >= 0 && (i === 0 || at > order[i - 1]!))).toBe(true);
    expect(cmd).toContain("du -s -B1 /var/lib/dbform/shop/pgdata '/data/o'\\''dd/pgdata'");
    expect(cmd).toContain('docker exec -u postgres dbform-shop pgbackrest --stanza=shop');
    expect(cmd).not.toContain('--stanza=o');
  });

  it('runs pgbackrest info only in a running container (a main process in the inspect lines)', () => {
    const check = cmd.slice(0, cmd.indexOf('docker exec -u postgres dbform-shop'));
    expect(check).toContain(`awk -v a=shop '$1 != 0 && $2 == a { f = 1 } END { exit !f }'`);
    const isRunning = (info: string) => execFileSync('sh', ['-c', `info=${shq(info)}; printf '%s\\n' "$info" | awk -v a=shop '$1 != 0 && $2 == a { f = 1 } END { exit !f }' && echo yes || echo no`], { encoding: 'utf8' }).trim();
    expect(isRunning('4242 shop {}\n77 other {}')).toBe('yes');
    expect(isRunning('0 shop {}')).toBe('no'); // stopped: no main process
    expect(isRunning('77 shopping {}')).toBe('no');
    expect(isRunning('')).toBe('no');
  });

  it('the second reading waits for what is left of the window since the first one, and only for that', () => {
    const waited = (c0: string) => Number(/^@@wait (\d+)$/m.exec(execFileSync('sh', ['-c', `c0=${c0}; ${windowWait(0.2)}`], { encoding: 'utf8' }))![1]);
    const fresh = waited('$(date +%s%N)');
    expect(fresh).toBeGreaterThan(100_000_000);
    expect(fresh).toBeLessThanOrEqual(200_000_000);
    expect(waited('$(($(date +%s%N) - 5000000000))')).toBe(0); // the window has passed already: no wait
  });

  it('has no second reading to take without a running container', () => {
    expect(cmd).toContain(`if printf '%s\\n' "$info" | awk '$1 != 0 { f = 1 } END { exit !f }'; then ${windowWait(0.3)}`);
  });

  it('only reads: no docker run, no redirection into a file, no write command', () => {
    const shell = cmd.split(shq(PROBE_AWK)).join('AWK');
    expect(shell).not.toMatch(/docker (run|rm|create|start|stop|kill)\b/);
    expect(shell.match(/>\s*(\S+)/g)!.every((r) => r === '>/dev/null' || r.startsWith('>&1'))).toBe(true); // only 2>/dev/null, 2>&1
    expect(shell).not.toMatch(/\b(rm|mv|cp|tee|touch|mkdir|chmod|chown)\b/);
    // The awk program: no output to a file or a command, no system().
    expect(PROBE_AWK).not.toMatch(/print[^\n;}]*[>|]/);
    expect(PROBE_AWK).not.toMatch(/system\(/);
  });
});

describe('the probe\'s awk program, on directories laid out like /proc and /sys/fs/cgroup', () => {
  const layout = (files: Record<string, string>) => {
    const root = mkdtempSync(join(tmpdir(), 'dbform-cgroup-'));
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), content);
    }
    return root;
  };
  const awk = (root: string, v: 1 | 2, mode: string, input: string) =>
    execFileSync('awk', ['-v', `v=${v}`, '-v', `mode=${mode}`, '-v', `root=${root}`, PROBE_AWK], { input, encoding: 'utf8' });
  const json = '{"addon":"shop","status":"running","running":true,"memory":268435456,"startedAt":"2026-11-30T12:01:02Z","image":"i"}';
  const stopped = '{"addon":"old","status":"exited","running":false,"memory":0,"startedAt":"x","image":"i"}';

  it('cgroup v2: the unified directory of the process; memory.peak absent on an older kernel is left out', () => {
    const dir = 'sys/fs/cgroup/dbf-db-1/abc';
    const root = layout({
      'proc/4242/cgroup': '0::/dbf-db-1/abc\n',
      [`${dir}/memory.current`]: '104857600\n',
      [`${dir}/memory.max`]: '268435456\n',
      [`${dir}/memory.swap.current`]: '0\n',
      [`${dir}/memory.stat`]: 'anon 1\nfile 2\ninactive_file 4857600\nactive_file 3\n',
      [`${dir}/cpu.stat`]: 'usage_usec 9000123\nuser_usec 1\n',
    });
    try {
      const input = `4242 shop ${json}\n0 old ${stopped}\n`;
      expect(awk(root, 2, 'memory', input)).toBe(
        `@@container ${json}\n@@memory shop\nmemory.current 104857600\nmemory.max 268435456\nmemory.swap.current 0\ninactive_file 4857600\n@@container ${stopped}\n`,
      );
      expect(awk(root, 2, 'cpu0', input)).toBe('@@cpu0 shop 9000123000\n');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('cgroup v1: the memory and cpuacct hierarchies, found per controller (also when co-mounted as cpu,cpuacct)', () => {
    const root = layout({
      'proc/77/cgroup': '12:pids:/dbf-db-1/abc\n9:memory:/dbf-db-1/abc\n4:cpu,cpuacct:/dbf-db-1/abc\n1:name=systemd:/x\n',
      'sys/fs/cgroup/memory/dbf-db-1/abc/memory.usage_in_bytes': '61440000\n',
      'sys/fs/cgroup/memory/dbf-db-1/abc/memory.max_usage_in_bytes': '90112000\n',
      'sys/fs/cgroup/memory/dbf-db-1/abc/memory.limit_in_bytes': '268435456\n',
      'sys/fs/cgroup/memory/dbf-db-1/abc/memory.stat': 'cache 1\ninactive_file 5\ntotal_inactive_file 20480000\n',
      'sys/fs/cgroup/cpuacct/dbf-db-1/abc/cpuacct.usage': '5000000000\n',
    });
    try {
      const out = awk(root, 1, 'memory', `77 shop ${json}\n`);
      expect(parseProbe(`@@cgroup 1\n${out}`, []).memory.get('shop')).toEqual({
        'memory.usage_in_bytes': '61440000',
        'memory.max_usage_in_bytes': '90112000',
        'memory.limit_in_bytes': '268435456',
        inactive_file: '5',
        total_inactive_file: '20480000',
      });
      expect(awk(root, 1, 'cpu1', `77 shop ${json}\n`)).toBe('@@cpu1 shop 5000000000\n');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('a process that is gone answers nothing rather than failing', () => {
    const root = layout({ 'proc/.keep': '' });
    try {
      expect(awk(root, 2, 'cpu0', `999 shop ${json}\n`)).toBe('');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
