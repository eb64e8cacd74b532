// The manifest format (src/resources/backups/manifest.ts): written on the host and read by dbform, one implementation.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type BackupManifest, manifestKey, objectKey, parseManifest, parseManifests, renderManifest, retentionRecord } from '../../src/resources/backups/manifest.js';

const ok: BackupManifest = {
  id: '20261120T010000Z-daily-a1b2c3',
  addon: 'shop',
  kind: 'daily',
  status: 'ok',
  startedAt: '2026-11-20T01:00:00Z',
  host: 'db-1',
  pgVersion: '15.18',
  format: 'pg_dump-custom+age',
  endedAt: '2026-11-20T01:00:07Z',
  size: 12345,
  sha256: 'ab'.repeat(32),
  verified: true,
};

describe('manifest format', () => {
  it('is one line of JSON, fields in a fixed order, ending with a newline', () => {
    const shuffled = Object.fromEntries(Object.entries(ok).reverse()) as unknown as BackupManifest;
    const text = renderManifest(shuffled);
    expect(text).toBe(
      '{"id":"20261120T010000Z-daily-a1b2c3","addon":"shop","kind":"daily","status":"ok","startedAt":"2026-11-20T01:00:00Z",' +
        '"host":"db-1","pgVersion":"15.18","format":"pg_dump-custom+age","endedAt":"2026-11-20T01:00:07Z","size":12345,' +
        `"sha256":"${'ab'.repeat(32)}","verified":true}\n`,
    );
  });

  it('leaves out what a running backup does not know yet', () => {
    const running: BackupManifest = { id: 'r1', addon: 'shop', kind: 'manual', status: 'running', startedAt: '2026-11-20T01:00:00Z' };
    expect(renderManifest(running)).toBe('{"id":"r1","addon":"shop","kind":"manual","status":"running","startedAt":"2026-11-20T01:00:00Z"}\n');
  });

  it('escapes what it writes (a host name with a quote stays one JSON value)', () => {
    const text = renderManifest({ ...ok, host: 'db "1"\n' });
    expect(parseManifest(text)?.host).toBe('db "1"\n');
    expect(text.trimEnd().includes('\n')).toBe(false);
  });

  it('reads back what it writes, for any manifest', () => {
    const manifest = fc.record(
      {
        id: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,30}$/),
        addon: fc.string(),
        kind: fc.constantFrom<'daily' | 'manual'>('daily', 'manual'),
        status: fc.constantFrom<'running' | 'ok' | 'failed'>('running', 'ok', 'failed'),
        startedAt: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        endedAt: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        size: fc.nat(),
        sha256: fc.stringMatching(/^[0-9a-f]{64}$/),
        verified: fc.boolean(),
        host: fc.string(),
        pgVersion: fc.string(),
        format: fc.string(),
      },
      { requiredKeys: ['id', 'addon', 'kind', 'status', 'startedAt'] },
    );
    fc.assert(
      fc.property(fc.array(manifest, { maxLength: 8 }), (ms) => {
        expect(parseManifests(ms.map(renderManifest).join(''))).toEqual(ms);
      }),
    );
  });

  it('rejects what is not a manifest, and ids that could name another object', () => {
    expect(parseManifest('not json')).toBeNull();
    expect(parseManifest('null')).toBeNull();
    expect(parseManifest('{"id":"a","status":"ok"}')).toBeNull(); // no startedAt
    expect(parseManifest('{"id":"../other/x","status":"ok","startedAt":"2026-11-20T01:00:00Z"}')).toBeNull();
    expect(parseManifest('{"id":"a/b","status":"ok","startedAt":"2026-11-20T01:00:00Z"}')).toBeNull();
    expect(() => renderManifest({ ...ok, id: '../x' })).toThrow(/not a backup id/);
    const listing = `${renderManifest(ok)}garbage\n{"id":"half"\n\n${renderManifest({ ...ok, id: 'second' })}`;
    expect(parseManifests(listing).map((m) => m.id)).toEqual([ok.id, 'second']);
  });

  it('is judged by retention as a record: only an explicit verified:true counts as verified', () => {
    expect(retentionRecord(ok)).toEqual({ id: ok.id, addon: 'shop', kind: 'daily', status: 'ok', verified: true, startedAt: ok.startedAt, endedAt: ok.endedAt });
    const { verified: _v, ...unverified } = ok;
    expect(retentionRecord(unverified).verified).toBe(false);
  });

  it('names the object and the manifest of a backup under its add-on', () => {
    expect(objectKey('shop', 'x1')).toBe('shop/x1.dump.age');
    expect(manifestKey('shop', 'x1')).toBe('shop/x1.json');
  });
});
