import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { AddonConfig } from '../../src/config/types.js';
import { type CatalogFigures, STATUS_SQL } from '../../src/status/catalog.js';
import { CatalogFiguresViaGather } from '../../src/status/catalog-via-gather.js';

// Status's figures with drift: read on the gather's connection to an add-on when it connects, on the add-on's
// own connection when the gather is done with it without connecting, never both, never twice.

const addon = (name: string) => ({ name }) as AddonConfig;
const row = { connections: 2, max_connections: 51, server_version: '15.10', in_recovery: false, data_size: '7864320', archiver: null };

/** A connection that answers the status query with `answer` and records what it was sent. */
function connection(answer: () => Promise<{ rows: unknown[] }>) {
  const sent: string[] = [];
  const client = { query: (sql: string) => (sent.push(sql), answer()) } as unknown as pg.Client;
  return { client, sent };
}

function subject(names: string[]) {
  const ownReads: string[] = [];
  const own = (a: AddonConfig): Promise<CatalogFigures> => {
    ownReads.push(a.name);
    return Promise.resolve({ connections: 9, maxConnections: 9, serverVersion: 'own', inRecovery: false, dataSize: 9, archiver: null, lagSeconds: null, lagBytes: null });
  };
  return { via: new CatalogFiguresViaGather(names.map(addon), own), ownReads };
}

describe('CatalogFiguresViaGather', () => {
  it("reads an add-on's figures on the gather's connection, once, and not on a connection of its own", async () => {
    const { via, ownReads } = subject(['shop', 'blog']);
    const c = connection(() => Promise.resolve({ rows: [row] }));
    await via.ride('shop', c.client);
    await via.ride('shop', c.client); // the gather's second connection (its database did not exist): not read again
    via.done('shop');
    expect(c.sent).toEqual([STATUS_SQL]);
    expect(await via.figures('shop')).toEqual({ connections: 2, maxConnections: 51, serverVersion: '15.10', inRecovery: false, dataSize: 7864320, archiver: null, lagSeconds: null, lagBytes: null });
    expect(ownReads).toEqual([]);
  });

  it('reads on its own an add-on the gather was done with without connecting, and every add-on left when the gather ends', async () => {
    const { via, ownReads } = subject(['shop', 'blog', 'wiki']);
    via.done('blog');
    expect(ownReads).toEqual(['blog']);
    via.doneWithAll();
    expect(ownReads).toEqual(['blog', 'shop', 'wiki']);
    expect((await via.figures('shop')).serverVersion).toBe('own');
    const late = connection(() => Promise.resolve({ rows: [row] }));
    await via.ride('wiki', late.client);
    expect(late.sent).toEqual([]);
  });

  it('leaves alone the add-ons it was not asked for (status ADDON checks the drift of the whole fleet)', async () => {
    const { via, ownReads } = subject(['shop']);
    const c = connection(() => Promise.resolve({ rows: [row] }));
    await via.ride('blog', c.client);
    via.done('blog');
    expect(c.sent).toEqual([]);
    expect(ownReads).toEqual([]);
  });

  it("gives the query's error as the add-on's figures, and lets the gather close its connection all the same", async () => {
    const { via } = subject(['shop']);
    const c = connection(() => Promise.reject(new Error('canceling statement due to statement timeout')));
    await expect(via.ride('shop', c.client)).resolves.toBeUndefined();
    await expect(via.figures('shop')).rejects.toThrow('statement timeout');
  });
});
