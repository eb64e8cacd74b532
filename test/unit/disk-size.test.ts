import { describe, expect, it } from 'vitest';
import { formatDiskMb, parseDiskSize } from '../../src/config/disk-size.js';
import { PLANS } from '../../src/config/tiers.js';

describe('disk sizes', () => {
  it('reads MB, GB and TB (binary units), with or without a space, any case', () => {
    expect(parseDiskSize('20GB')).toBe(20 * 1024);
    expect(parseDiskSize('512 mb')).toBe(512);
    expect(parseDiskSize('1.5TB')).toBe(1.5 * 1024 * 1024);
    expect(parseDiskSize(' 2 Gb ')).toBe(2048);
  });

  it('refuses what is not a size, or too small a disk, with a message', () => {
    expect(parseDiskSize('20 gigs')).toMatch(/is not a size/);
    expect(parseDiskSize('20')).toMatch(/is not a size/);
    expect(parseDiskSize('100MB')).toMatch(/smaller than the 256 MB/);
  });

  it('shows whole gigabytes as GB, else MB', () => {
    expect(formatDiskMb(20480)).toBe('20 GB');
    expect(formatDiskMb(1536)).toBe('1536 MB');
  });

  it('gives every plan a disk that grows with its memory', () => {
    const starter512 = PLANS.find((p) => p.name === 'postgresql-starter-512');
    const business1024 = PLANS.find((p) => p.name === 'postgresql-business-1024');
    expect(starter512?.diskMb).toBe(4096);
    expect(business1024?.diskMb).toBe(16384);
    for (const p of PLANS) expect(p.diskMb).toBeGreaterThanOrEqual(p.memoryMb);
  });
});
