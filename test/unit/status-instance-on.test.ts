import { describe, expect, it } from 'vitest';
import type { AddonConfig, Config } from '../../src/config/types.js';
import { instanceLabel, instanceOn, instancePgdata } from '../../src/status/instance-on.js';

// `queries --host` and `logs --host`: which server of an add-on they read, and where its log is.

const base = { plan: 'postgresql-starter-512', version: '15', port: 31001 } as const;
const shop = { ...base, name: 'shop', host: 'db-1', hosts: ['db-1'], readReplicas: ['db-2'] } as unknown as AddonConfig;
const orders = { ...base, name: 'orders', plan: 'postgresql-business-512', host: 'db-1', hosts: ['db-1', 'db-2'] } as unknown as AddonConfig;
const config = { hosts: [{ name: 'db-1', dataDir: '/var/lib/dbform' }, { name: 'db-2', dataDir: '/srv/pg' }] } as unknown as Config;

describe('instanceOn', () => {
  it('without --host: the add-on itself, on its (first) host', () => {
    expect(instanceOn(shop, undefined)).toEqual({ kind: 'addon', host: 'db-1' });
    expect(instanceOn(orders, undefined)).toEqual({ kind: 'addon', host: 'db-1' });
  });

  it('a single instance\'s own host is the add-on; a read replica\'s host is the replica; a cluster\'s host is its member', () => {
    expect(instanceOn(shop, 'db-1')).toEqual({ kind: 'addon', host: 'db-1' });
    expect(instanceOn(shop, 'db-2')).toEqual({ kind: 'read-replica', host: 'db-2' });
    expect(instanceOn(orders, 'db-2')).toEqual({ kind: 'member', host: 'db-2' });
    expect(instanceOn(orders, 'db-1')).toEqual({ kind: 'member', host: 'db-1' });
  });

  it('any other host is refused, naming where the add-on runs', () => {
    expect(() => instanceOn(shop, 'db-3')).toThrow('add-on shop runs on db-1 and has read replicas on db-2: --host db-3 is none of them');
    expect(() => instanceOn(orders, 'db-3')).toThrow('add-on orders runs on db-1 and db-2: --host db-3 is none of them');
  });

  it('the log of each: the add-on\'s data directory, or the replica\'s beside the add-ons\'', () => {
    expect(instancePgdata(config, shop, instanceOn(shop, undefined))).toBe('/var/lib/dbform/shop/pgdata');
    expect(instancePgdata(config, shop, instanceOn(shop, 'db-2'))).toBe('/srv/pg/.replicas/shop/pgdata');
    expect(instancePgdata(config, orders, instanceOn(orders, 'db-2'))).toBe('/srv/pg/orders/pgdata');
    expect(instanceLabel(shop, instanceOn(shop, 'db-2'))).toBe('the read replica of shop on db-2');
    expect(instanceLabel(orders, instanceOn(orders, 'db-2'))).toBe('the member of orders on db-2');
  });
});
