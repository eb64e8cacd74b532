import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cpuPercent, memoryFigures } from '../../src/status/cgroup.js';
import { parseProbe, probeCommand } from '../../src/status/probe.js';

// The host probe's answer (recorded, cgroup v1 and v2) -> figures; and the command it sends only reads.

const recorded = (name: string) => readFileSync(new URL(`./recorded/status/${name}`, import.meta.url), 'utf8');

describe('parseProbe', () => {
  it('reads a cgroup v1 host: containers, memory files, two CPU readings, disk, pgbackrest info', () => {
    const p = parseProbe(recorded('probe-cgroup-v1.txt'));
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
    const p = parseProbe(recorded('probe-cgroup-v2.txt'));
    expect(p.cgroupVersion).toBe(2);
    expect(p.memory.get('shop')!['memory.peak']).toBe('157286400');
    expect(p.pitrInfo.size).toBe(0);
  });

  it('keeps a failed pgbackrest info as text, and ignores readings that are not numbers', () => {
    const p = parseProbe('@@cgroup 2\n@@cpu0 shop 123 \n@@du shop \n@@pitr shop failed\nERROR: [055]: unable to load info file\n');
    expect(p.cpu[0].size).toBe(0);
    expect(p.diskUsage.size).toBe(0);
    expect(p.pitrInfo.get('shop')).toEqual({ ok: false, text: 'ERROR: [055]: unable to load info file' });
  });
});

describe('memoryFigures', () => {
  it('v1: usage less the inactive file cache, peak, limit, swap from memsw', () => {
    const p = parseProbe(recorded('probe-cgroup-v1.txt'));
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
    const p = parseProbe(recorded('probe-cgroup-v2.txt'));
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
  const cmd = probeCommand([{ name: 'shop', dataDir: '/var/lib/dbform/shop', pitr: true }, { name: "o'dd", dataDir: "/data/o'dd", pitr: false }], 0.3);

  it('reads the managed containers and their cgroups, and samples the CPU twice around the wait', () => {
    expect(cmd).toContain('docker ps -aq --filter label=dbform.managed=true');
    expect(cmd).toContain('/proc/$1/cgroup');
    expect(cmd.indexOf('each cpusample 0')).toBeLessThan(cmd.indexOf('sleep 0.3'));
    expect(cmd.indexOf('sleep 0.3')).toBeLessThan(cmd.indexOf('each cpusample 1'));
    expect(cmd).toContain("du -s -B1 '/data/o'\\''dd/pgdata'");
    expect(cmd).toContain('docker exec -u postgres dbform-shop pgbackrest --stanza=shop');
    expect(cmd).not.toContain('--stanza=o');
  });

  it('only reads: no docker run, no redirection into a file, no write command', () => {
    expect(cmd).not.toMatch(/docker (run|rm|create|start|stop|kill)\b/);
    expect(cmd).not.toMatch(/[^2&]>\s*[^&\s]/); // only 2>/dev/null redirections
    expect(cmd.match(/>\s*(\S+)/g)!.every((r) => r.includes('/dev/null') || r.startsWith('>&'))).toBe(true);
    expect(cmd).not.toMatch(/\b(rm|mv|cp|tee|touch|mkdir|chmod|chown)\b/);
  });
});
