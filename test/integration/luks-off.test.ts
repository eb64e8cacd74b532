import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Workspace, expectEmptyPlan } from './harness.js';
import { type VmHost, vmClean, onVm, psqlOnVm, vmHostYaml, vmUp } from './vm-harness.js';

// The two ways an encrypted add-on's volume goes away, on a real kernel (the VM host): the add-on is removed
// from the file (its data goes with it: DATA_LOSS), or its encryption is turned off (its data is kept: copied
// out of the volume, RESTART). Each ends with what is left on the host, then a plan without changes.

const ws = new Workspace();
let vm: VmHost;
const GONE = { name: 'gone', port: 31111 };
const CLEAR = { name: 'clear', port: 31112 };
const ROWS = 50_000;

function addon(a: { name: string; port: number }, encrypted: boolean): string {
  return `  ${a.name}:\n    plan: postgresql-sandbox\n    port: ${a.port}\n    encryptionAtRest: ${encrypted}\n    disk: 256MB\n`;
}

function config(addons: string[]): string {
  return `version: 1\nhosts:\n${vmHostYaml(vm)}addons:\n${addons.join('')}`;
}

const volume = (a: { name: string }) => `${vm.dataDir}/.volumes/${a.name}.luks`;
const keyFile = (name: string) => `${vm.dataDir}/.keystore/${Buffer.from(name, 'utf8').toString('base64url')}.enc`;
const exists = (path: string) => onVm(`test -e ${path} && echo yes || echo no`).trim() === 'yes';
const mapping = (a: { name: string }) => onVm(`cryptsetup status dbform-${a.name} >/dev/null 2>&1 && echo active || echo none`).trim();

/** psql once the instance accepts connections (a restarted container takes a few seconds on the VM). */
async function psqlWhenUp(a: { name: string; port: number }, sql: string): Promise<string> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      return psqlOnVm(a.name, a.port, sql);
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

beforeAll(() => {
  vm = vmUp();
  ws.write(config([addon(GONE, true), addon(CLEAR, true)]));
}, 900_000);

afterAll(() => {
  ws.cleanup([]);
  // The VM is kept, emptied, for the next file that needs it (vm-teardown.ts shuts it down).
  vmClean();
});

describe('an encrypted add-on\'s volume going away', () => {
  it('applies two encrypted add-ons and writes rows into both', async () => {
    const apply = ws.run(['apply', '--auto-approve']);
    expect(apply.stdout + apply.stderr).toContain('Apply complete');
    expect(apply.code).toBe(0);
    for (const a of [GONE, CLEAR]) {
      expect(onVm('cat /proc/mounts')).toContain(`/dev/mapper/dbform-${a.name} ${vm.dataDir}/${a.name} ext4`);
      // As the add-on's owner role, as an application would (a superuser's table is grants drift).
      await psqlWhenUp(a, `SET ROLE ${a.name}; CREATE TABLE t (id int PRIMARY KEY, pad text); INSERT INTO t SELECT i, md5(i::text) || md5((i * 7)::text) FROM generate_series(1, ${ROWS}) i; RESET ROLE; CHECKPOINT;`);
      expect(psqlOnVm(a.name, a.port, 'SELECT count(*) FROM t')).toBe(String(ROWS));
    }
    expectEmptyPlan(ws);
  });

  it('removing an add-on from the file: the plan deletes its container, then its volume (DATA_LOSS); apply leaves nothing', () => {
    ws.write(config([addon(CLEAR, true)]));
    const plan = ws.run(['plan', '--format', 'json']);
    expect(plan.code).toBe(0);
    const changes = (JSON.parse(plan.stdout) as { changes: Array<{ address: string; kind: string; action: string; hazards: Array<{ code: string; message: string }> }> }).changes;
    const gone = changes.filter((c) => c.address.startsWith(`addon.${GONE.name}.`));
    expect(gone.map((c) => [c.address, c.action])).toEqual([[`addon.${GONE.name}.container`, 'delete'], [`addon.${GONE.name}.volume`, 'delete']]);
    expect(gone[1]!.hazards.map((h) => h.code)).toEqual(['DATA_LOSS']);
    expect(gone[1]!.hazards[0]!.message).toContain(`the encrypted volume of ${GONE.name} (${volume(GONE)}, 256 MB) is closed and deleted with its key`);
    expect(changes.filter((c) => !c.address.startsWith(`addon.${GONE.name}.`))).toEqual([]);

    const refused = ws.run(['apply', '--auto-approve']);
    expect(refused.code).not.toBe(0);
    expect(exists(volume(GONE))).toBe(true); // refused: nothing done

    const t0 = Date.now();
    const apply = ws.run(['apply', '--auto-approve', '--allow-hazards', 'DATA_LOSS']);
    console.log(`removal of an encrypted add-on (container and volume): ${Date.now() - t0} ms`);
    expect(apply.stdout + apply.stderr).toMatch(/Apply complete: 2 changes/);
    expect(apply.code).toBe(0);
    expect(mapping(GONE)).toBe('none');
    expect(onVm('cat /proc/mounts')).not.toContain(`${vm.dataDir}/${GONE.name} `);
    expect(exists(volume(GONE))).toBe(false);
    expect(exists(`${vm.dataDir}/${GONE.name}`)).toBe(false);
    expect(exists(keyFile(`volume/${GONE.name}/key`))).toBe(false);
    expect(onVm('docker ps -a --format "{{.Names}}"')).not.toContain(`dbform-${GONE.name}`);
    expect(onVm('losetup -a')).not.toContain(`${GONE.name}.luks`);
    // The other add-on's volume is untouched.
    expect(mapping(CLEAR)).toBe('active');
    expect(exists(volume(CLEAR))).toBe(true);
    expectEmptyPlan(ws);
  });

  it('turning encryption off: the data is copied out of the volume (RESTART), every row kept, the volume gone', async () => {
    const before = psqlOnVm(CLEAR.name, CLEAR.port, 'SELECT count(*), sum(hashtext(pad)::bigint) FROM t');
    const dataMb = onVm(`du -sm ${vm.dataDir}/${CLEAR.name} | cut -f1`).trim();
    ws.write(config([addon(CLEAR, false)]));
    const plan = ws.run(['plan']);
    expect(plan.stdout).toMatch(new RegExp(`- addon\\.${CLEAR.name}\\.volume {2}\\(delete\\)`));
    expect(plan.stdout).toContain('encryption at rest turned off');
    expect(plan.stdout).toContain(`! RESTART: ${CLEAR.name} is stopped while its data directory is copied out of its 256 MB volume`);
    expect(plan.stdout).not.toContain('turning encryption off is not done');

    const t0 = Date.now();
    const apply = ws.run(['apply', '--auto-approve', '--allow-hazards', 'RESTART']);
    const ms = Date.now() - t0;
    expect(apply.stdout + apply.stderr).toMatch(/Apply complete: 1 change/);
    expect(apply.code).toBe(0);
    const copy = new RegExp(`addon\\.${CLEAR.name}\\.volume: done \\(([\\d.]+s)\\)`).exec(apply.stdout)?.[1];
    console.log(`encryption off: ${dataMb} MB data directory (${ROWS} rows), the change took ${copy}, apply ${ms} ms`);

    expect(await psqlWhenUp(CLEAR, 'SELECT count(*), sum(hashtext(pad)::bigint) FROM t')).toBe(before);
    expect(mapping(CLEAR)).toBe('none');
    expect(exists(volume(CLEAR))).toBe(false);
    expect(exists(keyFile(`volume/${CLEAR.name}/key`))).toBe(false);
    expect(onVm('cat /proc/mounts')).not.toContain(`${vm.dataDir}/${CLEAR.name} `);
    // Its data is on the host's own disk now, not on a device-mapper device.
    const source = onVm(`findmnt -n -o SOURCE --target ${vm.dataDir}/${CLEAR.name}/pgdata`).trim();
    expect(source).not.toMatch(/^\/dev\/(mapper|dm-)/);
    expect(onVm('dmsetup ls 2>/dev/null || true')).not.toContain(`dbform-${CLEAR.name}`);
    expect(exists(`${vm.dataDir}/${CLEAR.name}.decrypted`)).toBe(false);
    expectEmptyPlan(ws);
  });

  it('turning encryption back on for the same add-on: its data is copied into a new volume (RESTART), every row kept', async () => {
    const before = psqlOnVm(CLEAR.name, CLEAR.port, 'SELECT count(*), sum(hashtext(pad)::bigint) FROM t');
    ws.write(config([addon(CLEAR, true)]));
    const plan = ws.run(['plan']);
    expect(plan.stdout).toMatch(new RegExp(`\\+ addon\\.${CLEAR.name}\\.volume {2}\\(create\\)`));
    expect(plan.stdout).toContain(`! RESTART: ${CLEAR.name} is stopped while its data directory is copied into the new volume`);

    const t0 = Date.now();
    const apply = ws.run(['apply', '--auto-approve', '--allow-hazards', 'RESTART']);
    expect(apply.stdout + apply.stderr).toMatch(/Apply complete/);
    expect(apply.code).toBe(0);
    console.log(`encryption on for an add-on with ${ROWS} rows: apply ${Date.now() - t0} ms`);

    expect(await psqlWhenUp(CLEAR, 'SELECT count(*), sum(hashtext(pad)::bigint) FROM t')).toBe(before);
    expect(mapping(CLEAR)).toBe('active');
    expect(onVm('cat /proc/mounts')).toContain(`/dev/mapper/dbform-${CLEAR.name} ${vm.dataDir}/${CLEAR.name} ext4`);
    expect(onVm(`cryptsetup luksDump ${volume(CLEAR)}`)).toMatch(/Version:\s+2/);
    expect(exists(`${vm.dataDir}/${CLEAR.name}.unencrypted`)).toBe(false);
    expectEmptyPlan(ws);
  });
});
