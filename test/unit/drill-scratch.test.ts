import { describe, expect, it } from 'vitest';
import { parseCounts, perDatabase, scratchContainer, scratchDir } from '../../src/drill/scratch.js';
import { pitrSource } from '../../src/drill/pitr.js';
import type { PitrStatus } from '../../src/resources/pitr/info.js';

// The pure parts of a drill's check: what psql printed read back as row counts, per table and per database,
// the scratch names, and what the PITR half says it restores.

describe('drill check', () => {
  it('reads "N table" lines, table names with spaces and quotes included, and skips anything else', () => {
    const out = '1000 public.ledger_rows\n0 public.empty\n7 "odd schema"."a ""b"""\nNOTICE: something\n\n';
    expect(parseCounts('shop', out)).toEqual([
      { database: 'shop', table: 'public.ledger_rows', rows: 1000 },
      { database: 'shop', table: 'public.empty', rows: 0 },
      { database: 'shop', table: '"odd schema"."a ""b"""', rows: 7 },
    ]);
  });

  it('sums tables and rows per database, a database without tables included', () => {
    const counts = [...parseCounts('shop', '3 public.a\n4 public.b\n'), ...parseCounts('other', '10 public.c\n')];
    expect(perDatabase(['other', 'postgres', 'shop'], counts)).toEqual([
      { name: 'other', tables: 1, rows: 10 },
      { name: 'postgres', tables: 0, rows: 0 },
      { name: 'shop', tables: 2, rows: 7 },
    ]);
  });

  it('scratch names cannot be an add-on container or a restore check container (no add-on name has a dot)', () => {
    expect(scratchContainer('shop', 'logical')).toBe('dbform-shop.drill-logical');
    expect(scratchContainer('shop', 'pitr-replay')).toBe('dbform-shop.drill-pitr-replay');
    expect(scratchContainer('shop', 'pitr')).not.toBe('dbform-shop-restore-check');
    expect(scratchDir('/var/lib/dbform', 'shop')).toBe('/var/lib/dbform/.drill/shop');
  });

  it('the PITR half restores the latest point of the window, from the newest good base backup; no window: an error', () => {
    const base = { type: 'full' as const, startedAt: '', finishedAt: '', size: 1, repositorySize: 1, walStart: '', walStop: '' };
    const status: PitrStatus = {
      stanza: 'shop',
      status: 'ok',
      window: { earliest: '2026-11-29T10:00:00.000Z', latest: '2026-11-30T11:59:00.000Z' },
      baseBackups: [{ ...base, id: '20261129-100000F', status: 'ok' }, { ...base, id: '20261130-100000F', status: 'error' }],
      archiver: null,
    };
    expect(pitrSource(status)).toBe('latest point (WAL archived up to 2026-11-30T11:59:00.000Z) from base backup 20261129-100000F');
    expect(() => pitrSource({ ...status, window: null, status: 'no valid backups' })).toThrow(/no PITR window yet \(stanza shop: no valid backups\)/);
  });
});
