import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { diffContainer, diffOrphanContainer } from '../../src/resources/container/diff.js';
import { containerListCommand, parseContainerList, parseInspect, parseSettings } from '../../src/resources/container/gather.js';
import { desired, runningContainer } from './fixtures.js';

describe('container diff', () => {
  const d = desired();
  const cases: Array<{ name: string; observed: ReturnType<typeof runningContainer> | null; action?: string; hazards: string[]; step?: string; reason?: RegExp }> = [
    { name: 'missing -> create', observed: null, action: 'create', hazards: [], step: 'container.ensure' },
    { name: 'in sync -> nothing', observed: runningContainer(d), hazards: [] },
    { name: 'stopped -> start, no hazard', observed: { ...runningContainer(d), running: false, status: 'exited' }, action: 'update', hazards: [], step: 'container.start', reason: /exited/ },
    { name: 'plan memory changed -> restart', observed: { ...runningContainer(d), memoryMb: 256 }, action: 'update', hazards: ['RESTART'], step: 'container.ensure', reason: /memory 256 MB -> 512 MB/ },
    { name: 'image changed -> restart', observed: { ...runningContainer(d), image: 'old:1' }, action: 'update', hazards: ['RESTART'], step: 'container.ensure', reason: /image old:1/ },
    { name: 'setting changed by hand -> restart', observed: { ...runningContainer(d), settings: { port: '31001', shared_buffers: '1GB' } }, action: 'update', hazards: ['RESTART'], step: 'container.ensure', reason: /shared_buffers/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const changes = diffContainer(d, c.observed);
      if (!c.action) return expect(changes).toEqual([]);
      expect(changes).toHaveLength(1);
      expect(changes[0]!.action).toBe(c.action);
      expect(changes[0]!.hazards.map((h) => h.code)).toEqual(c.hazards);
      expect(changes[0]!.steps.map((s) => s.type)).toEqual([c.step]);
      if (c.reason) expect(changes[0]!.reason).toMatch(c.reason);
    });
  }

  it('a container of an add-on removed from the file is deleted with a DATA_LOSS hazard', () => {
    const c = diffOrphanContainer('local', { ...runningContainer(d), addon: 'old', name: 'dbform-old', dataDir: '/var/lib/dbform/old' });
    expect(c.action).toBe('delete');
    expect(c.hazards.map((h) => h.code)).toEqual(['DATA_LOSS']);
    expect(c.steps[0]).toMatchObject({ type: 'container.remove', name: 'dbform-old', dataDir: '/var/lib/dbform/old' });
    expect(c.steps[0]).not.toHaveProperty('keepSettings');
  });

  it('a single instance whose add-on is now a cluster with a member on its host: deleted (DATA_LOSS), its backup and PITR settings left to the cluster', () => {
    const c = diffOrphanContainer('db-1', { ...runningContainer(d), addon: 'orders', name: 'dbform-orders', dataDir: '/var/lib/dbform/orders', replacedByMember: true });
    expect(c).toMatchObject({ address: 'addon.orders.container', action: 'delete' });
    expect(c.reason).toMatch(/^add-on orders is highly available now: .* starts empty \(restore a backup into it: dbform restore orders --backup ID\)$/);
    expect(c.hazards.map((h) => h.code)).toEqual(['DATA_LOSS']);
    expect(c.steps).toEqual([{ type: 'container.remove', addon: 'orders', name: 'dbform-orders', dataDir: '/var/lib/dbform/orders', keepSettings: true }]);
  });
});

describe('docker inspect parsing', () => {
  it('reads only containers labelled with an add-on', () => {
    const json = JSON.stringify([
      {
        Name: '/dbform-shop',
        Config: { Image: 'dbform-postgresql:15', Labels: { 'dbform.managed': 'true', 'dbform.addon': 'shop' }, Cmd: ['postgres', '-D', '/x', '-c', 'port=31001', '-c', 'work_mem=4MB'] },
        HostConfig: { Memory: 512 * 1024 * 1024, Binds: ['/var/lib/dbform/shop:/var/lib/dbform'] },
        State: { Status: 'running', Running: true },
      },
      { Name: '/other', Config: { Image: 'x', Labels: {}, Cmd: [] }, HostConfig: { Memory: 0, Binds: null }, State: { Status: 'running', Running: true } },
    ]);
    const m = parseInspect(json);
    expect([...m.keys()]).toEqual(['shop']);
    expect(m.get('shop')).toMatchObject({ memoryMb: 512, port: 31001, running: true, dataDir: '/var/lib/dbform/shop', settings: { port: '31001', work_mem: '4MB' } });
  });
  it('parses -c settings, keeping = inside values', () => {
    expect(parseSettings(['postgres', '-c', 'a=b=c', '-c', 'listen_addresses=*'])).toEqual({ a: 'b=c', listen_addresses: '*' });
  });
});

describe('parseContainerList', () => {
  it('merges each data directory\'s ALTER SYSTEM settings into its container, by the bind of the inspect output', () => {
    const inspect = JSON.stringify(
      [
        {
          Name: '/dbform-shop',
          Config: { Image: 'dbform-postgresql:15', Labels: { 'dbform.managed': 'true', 'dbform.addon': 'shop' }, Cmd: ['postgres', '-c', 'port=31001'] },
          HostConfig: { Memory: 0, Binds: ['/data/shop:/var/lib/dbform'] },
          State: { Status: 'running', Running: true },
        },
        {
          Name: '/dbform-blog',
          Config: { Image: 'dbform-postgresql:15', Labels: { 'dbform.managed': 'true', 'dbform.addon': 'blog' }, Cmd: ['postgres', '-c', 'port=31002'] },
          HostConfig: { Memory: 0, Binds: ['/data/blog:/var/lib/dbform'] },
          State: { Status: 'running', Running: true },
        },
      ],
      null,
      4,
    );
    const images = '{"id":"sha256:aa","tags":["dbform-postgresql:15"],"labels":{"dbform.postgres.version":"15.18"}}';
    const stdout = `${inspect}\n@@dbform-images\n${images}\n@@dbform-data-dirs\n@@ /data/shop\nlog_min_duration_statement = '1000'\n@PG_VERSION 15\n@KEPT pgdata.pg15\n@@ /data/blog\n#nodata\n@PG_VERSION \n`;
    const m = parseContainerList(stdout);
    expect(m.get('shop')?.settings).toEqual({ port: '31001', log_min_duration_statement: '1000' });
    expect(m.get('blog')?.settings).toEqual({ port: '31002' });
    expect(m.get('shop')).toMatchObject({ running: true, dataVersion: '15', keptData: ['pgdata.pg15'] });
    // No cluster in its data directory (an encrypted volume not open yet): not running, whatever Docker says.
    expect(m.get('blog')).toMatchObject({ running: false, dataVersion: null });
  });

  it('is one command that sh and bash both parse (a stray # or quote would comment out the rest of a batch)', () => {
    for (const shell of ['sh', 'bash']) {
      const r = spawnSync(shell, ['-n', '-c', `(\n${containerListCommand()}\n) </dev/null`], { encoding: 'utf8' });
      expect(r.status, `${shell}: ${r.stderr}`).toBe(0);
    }
  });

  it('reads a host without managed containers', () => {
    expect(parseContainerList('[]\n').size).toBe(0);
  });
});
