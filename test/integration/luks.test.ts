import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveKey, open, seal } from '../../src/keystore/cipher.js';
import { Workspace, expectEmptyPlan, type CliResult } from './harness.js';
import { type VmHost, vmClean, foundOnDisk, onVm, psqlOnVm, sampleProcesses, vmBoot, vmHostYaml, vmPowerCut, vmUp } from './vm-harness.js';

// Encryption at rest on a real kernel (the VM host: dm-crypt, a data disk, a power switch). An encrypted
// add-on and an unencrypted one side by side: the unencrypted one is the negative control of the disk search.
// Every scenario ends with apply, then a plan without changes.

const CLI = fileURLToPath(new URL('../../bin/dbform.js', import.meta.url));
const ws = new Workspace();
let vm: VmHost;
const ENC = { name: 'vault', port: 31101 };
const PLAIN = { name: 'ledger', port: 31102 };
const canaryEnc = `CANARY-ENCRYPTED-${randomBytes(6).toString('hex')}`;
const canaryPlain = `CANARY-PLAIN-${randomBytes(6).toString('hex')}`;

function config(keyVersion = 1, disk = '256MB'): string {
  return `version: 1
hosts:
${vmHostYaml(vm)}addons:
  ${ENC.name}:
    plan: postgresql-sandbox
    port: ${ENC.port}
    encryptionAtRest: true
    encryptionKeyVersion: ${keyVersion}
    disk: ${disk}
  ${PLAIN.name}:
    plan: postgresql-sandbox
    port: ${PLAIN.port}
    encryptionAtRest: false
`;
}

/** The CLI, asynchronously (the VM's processes are sampled while it runs). */
function runAsync(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args, '-f', ws.config], { env: { ...process.env, ...ws.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (code) => {
      ws.transcript.push(stdout, stderr);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

const keystoreFile = (name: string) => `${vm.dataDir}/.keystore/${Buffer.from(name, 'utf8').toString('base64url')}.enc`;
const masterKey = () => deriveKey(ws.env.DBFORM_MASTER_KEY!);

/** A keystore entry as the host holds it, opened with the master key (undefined when there is none). */
function keystoreEntry(name: string): string | undefined {
  const sealed = onVm(`cat ${keystoreFile(name)} 2>/dev/null || true`).trim();
  return sealed ? open(masterKey(), name, sealed) : undefined;
}

/** Writes a keystore entry as dbform does (sealed): the state a cut-short rotation leaves. */
function putKeystoreEntry(name: string, value: string): void {
  onVm(`umask 077 && cat > ${keystoreFile(name)} && sync`, seal(masterKey(), name, value));
}

const VOLUME = () => `${vm.dataDir}/.volumes/${ENC.name}.luks`;
const opens = (key: string) => onVm(`printf %s "$(cat)" | cryptsetup open --test-passphrase --key-file=- ${VOLUME()} && echo opens || echo refused`, key).trim() === 'opens';

beforeAll(() => {
  vm = vmUp();
  ws.write(config());
}, 900_000);

afterAll(() => {
  ws.cleanup([]);
  // The VM is kept, emptied, for the next file that needs it (vm-teardown.ts shuts it down).
  vmClean();
});

describe('encryption at rest on a host with dm-crypt', () => {
  const psSamples: string[] = [];

  it('applies an encrypted add-on and an unencrypted one; the key never shows in a process list', async () => {
    const plan = ws.run(['plan', '--out', `${ws.dir}/plan.json`]);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/\+ addon\.vault\.volume {2}\(create\)/);
    expect(plan.stdout).not.toMatch(/addon\.ledger\.volume/);
    expect(plan.stdout).not.toContain('not applied by this version');
    const sampler = sampleProcesses(200);
    const t0 = Date.now();
    const apply = await runAsync(['apply', '--auto-approve']);
    const ms = Date.now() - t0;
    psSamples.push(...(await sampler.stop()));
    expect(apply.stdout + apply.stderr).toMatch(/Apply complete: 11 changes/);
    expect(apply.code).toBe(0);
    console.log(`first apply of both add-ons: ${ms} ms; volume ${/addon\.vault\.volume: done \(([\d.]+s)\)/.exec(apply.stdout)?.[1]}; ${psSamples.length} process lists sampled`);
    expect(psSamples.length).toBeGreaterThan(5);
    expect(psSamples.some((s) => s.includes('cryptsetup'))).toBe(true); // the sampling saw cryptsetup run
    expectEmptyPlan(ws);
  });

  it('is a LUKS2 volume: aes-xts-plain64, 512-bit key, sha256, mounted on the data directory', () => {
    const dump = onVm(`cryptsetup luksDump ${VOLUME()}`);
    expect(dump).toMatch(/^Version:\s+2$/m);
    expect(dump).toMatch(/^\s+cipher: aes-xts-plain64$/m);
    expect(dump).toMatch(/^\s+Key:\s+512 bits$/m);
    expect(dump).toMatch(/^Digests:\n\s+0: pbkdf2\n\s+Hash:\s+sha256$/m);
    expect(onVm('cat /proc/mounts')).toContain(`/dev/mapper/dbform-${ENC.name} ${vm.dataDir}/${ENC.name} ext4`);
    expect(onVm(`ls ${vm.dataDir}/${ENC.name}/pgdata/PG_VERSION`)).toContain('PG_VERSION');
  });

  it('keeps the canary row and the key off the raw disk (the unencrypted add-on\'s canary is found there)', () => {
    psqlOnVm(ENC.name, ENC.port, `CREATE TABLE canary (t text); INSERT INTO canary VALUES ('${canaryEnc}'); CHECKPOINT;`);
    psqlOnVm(PLAIN.name, PLAIN.port, `CREATE TABLE canary (t text); INSERT INTO canary VALUES ('${canaryPlain}'); CHECKPOINT;`);
    onVm('sync');
    // One pass over the disk (it takes seconds per GB): the canaries, and the volume's key (next test).
    const key = keystoreEntry(`volume/${ENC.name}/key`)!;
    expect(foundOnDisk(vm.disk, [canaryEnc, canaryPlain, key])).toEqual([canaryPlain]);
  });

  it('never writes the key anywhere but the keystore (sealed): not in output, plan file, process lists or files', () => {
    const key = keystoreEntry(`volume/${ENC.name}/key`)!;
    expect(key).toMatch(/^[A-Za-z0-9+/]{86}==$/); // 512 random bits
    expect(opens(key)).toBe(true); // the right key: it opens the volume
    expect(ws.transcript.join('\n')).not.toContain(key);
    expect(readFileSync(`${ws.dir}/plan.json`, 'utf8')).not.toContain(key);
    expect(psSamples.filter((s) => s.includes(key))).toEqual([]);
    // Every file on the VM's disk was searched with the canaries (above); here its tmpfs files.
    expect(onVm(`grep -rlF -e "$(cat)" /root /tmp /run /etc /var/log 2>/dev/null || true`, key).trim()).toBe('');
  });

  it('after a power cut: the plan shows the closed volume, apply opens it, every committed row is there', () => {
    vmPowerCut();
    vmBoot();
    expect(onVm('cat /proc/mounts')).not.toContain(`dbform-${ENC.name}`);
    const plan = ws.run(['plan', '--detailed-exitcode']);
    expect(plan.stdout).toContain('volume closed, instance down');
    expect(plan.code).toBe(2);
    const apply = ws.run(['apply', '--auto-approve']);
    expect(apply.stdout + apply.stderr).toContain('Apply complete');
    expect(apply.code).toBe(0);
    expect(psqlOnVm(ENC.name, ENC.port, 'SELECT t FROM canary')).toBe(canaryEnc);
    expect(psqlOnVm(PLAIN.name, PLAIN.port, 'SELECT t FROM canary')).toBe(canaryPlain);
    expectEmptyPlan(ws);
  });

  it('grows the volume online when disk grows', () => {
    const size = () => Number(onVm(`df -k --output=size ${vm.dataDir}/${ENC.name} | tail -1`).trim());
    const before = size();
    ws.write(config(1, '320MB'));
    expect(ws.run(['plan']).stdout).toContain('size 256 MB -> 320 MB (online)');
    const apply = ws.run(['apply', '--auto-approve']);
    expect(apply.code).toBe(0);
    expect(size() - before).toBeGreaterThan(48 * 1024); // 64 MB more, less ext4's own (56 MB seen)
    expect(psqlOnVm(ENC.name, ENC.port, 'SELECT t FROM canary')).toBe(canaryEnc);
    expectEmptyPlan(ws);
  });

  it('rotates the key: a new slot, verified, the old one removed', () => {
    const before = keystoreEntry(`volume/${ENC.name}/key`)!;
    ws.write(config(2, '320MB'));
    const plan = ws.run(['plan', '--detailed-exitcode']);
    expect(plan.stdout).toContain('key version 1 -> 2');
    const apply = ws.run(['apply', '--auto-approve']);
    expect(apply.code).toBe(0);
    const after = keystoreEntry(`volume/${ENC.name}/key`)!;
    expect(after).not.toBe(before);
    expect(keystoreEntry(`volume/${ENC.name}/key.next`)).toBeUndefined();
    expect(opens(after)).toBe(true);
    expect(opens(before)).toBe(false);
    expect(onVm(`cryptsetup luksDump ${VOLUME()}`)).toMatch(/^Label:\s+dbform-key-v2$/m);
    expectEmptyPlan(ws);
  });

  it('a rotation cut short between "add the new key" and "remove the old one" converges', () => {
    const old = keystoreEntry(`volume/${ENC.name}/key`)!;
    const next = randomBytes(64).toString('base64');
    // What apply leaves when killed there: the next key kept in the keystore, and in a slot of its own.
    putKeystoreEntry(`volume/${ENC.name}/key.next`, next);
    onVm(`read -r old; read -r new; printf %s "$old" | { printf %s "$new" | cryptsetup luksAddKey -q --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file=/proc/self/fd/3 ${VOLUME()} -; } 3<&0`, `${old}\n${next}\n`);
    ws.write(config(3, '320MB'));
    expect(ws.run(['plan']).stdout).toContain('key version 2 -> 3');
    const apply = ws.run(['apply', '--auto-approve']);
    expect(apply.code).toBe(0);
    expect(keystoreEntry(`volume/${ENC.name}/key`)).toBe(next);
    expect(keystoreEntry(`volume/${ENC.name}/key.next`)).toBeUndefined();
    expect([opens(next), opens(old)]).toEqual([true, false]);
    expect(onVm(`cryptsetup luksDump ${VOLUME()}`).match(/^\s+\d+: luks2$/gm)).toHaveLength(1);
    expectEmptyPlan(ws);
  });

  it('a rotation cut short after the old slot was removed converges, and the volume still opens after a reboot', () => {
    const old = keystoreEntry(`volume/${ENC.name}/key`)!;
    const next = randomBytes(64).toString('base64');
    putKeystoreEntry(`volume/${ENC.name}/key.next`, next);
    onVm(`read -r old; read -r new; printf %s "$old" | { printf %s "$new" | cryptsetup luksAddKey -q --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file=/proc/self/fd/3 ${VOLUME()} -; } 3<&0; printf %s "$old" | cryptsetup luksRemoveKey -q --key-file=- ${VOLUME()}`, `${old}\n${next}\n`);
    // Only the next key opens the volume now: a reboot here must still open it.
    vmPowerCut();
    vmBoot();
    ws.write(config(4, '320MB'));
    const apply = ws.run(['apply', '--auto-approve']);
    expect(apply.stdout + apply.stderr).toContain('Apply complete');
    expect(apply.code).toBe(0);
    expect(keystoreEntry(`volume/${ENC.name}/key`)).toBe(next);
    expect(opens(next)).toBe(true);
    expect(psqlOnVm(ENC.name, ENC.port, 'SELECT t FROM canary')).toBe(canaryEnc);
    expectEmptyPlan(ws);
  });

  it('with a wrong master key: a clear error, and nothing changes on the host', () => {
    const state = () => onVm(`cryptsetup luksDump ${VOLUME()} | grep -v Epoch; ls -l --time-style=+%s.%N ${vm.dataDir}/.keystore; docker ps --format '{{.Names}} {{.Status}}' | sed 's/Up .*/Up/'`);
    const before = state();
    ws.write(config(5, '320MB')); // a rotation is due: apply would change the volume if it could read the keys
    const wrong = { DBFORM_MASTER_KEY: 'not-the-master-key-of-this-fleet' };
    const plan = ws.run(['plan'], wrong);
    expect(plan.stdout + plan.stderr).toContain('DBFORM_MASTER_KEY is not the key it was sealed with');
    expect(plan.code).not.toBe(0);
    const apply = ws.run(['apply', '--auto-approve'], wrong);
    expect(apply.code).not.toBe(0);
    expect(state()).toBe(before);
    ws.write(config(4, '320MB'));
    expectEmptyPlan(ws);
  });
});
