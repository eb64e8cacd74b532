import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decryptScript, removeScript } from '../../src/resources/volume/scripts.js';

// The volume scripts' file handling, run for real by sh in a scratch directory. This machine has no
// device-mapper (the VM test runs them on a real one): cryptsetup, mount, umount and docker are stand-ins
// that succeed and do nothing, so the "volume" is the mount point's own directory. What is checked is the
// order and the stops: the volume file is deleted only once the copy is in place, and a failed copy stops
// the script with the volume file still there.

let dir: string;
let bin: string;

function shim(name: string, body: string): void {
  writeFileSync(`${bin}/${name}`, `#!/bin/sh\n${body}\n`);
  chmodSync(`${bin}/${name}`, 0o755);
}

function where() {
  return { file: `${dir}/.volumes/shop.luks`, mapper: `dbform-test-${process.pid}`, mountPoint: `${dir}/shop` };
}

function run(script: string, stdin = '\n\n') {
  return spawnSync('sh', ['-c', script], { input: stdin, encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
}

beforeEach(() => {
  dir = mkdtempSync(`${tmpdir()}/dbform-volume-`);
  bin = `${dir}/bin`;
  mkdirSync(bin);
  for (const name of ['cryptsetup', 'mount', 'umount']) shim(name, 'exit 0');
  shim('docker', 'exit 1'); // no container
  mkdirSync(`${dir}/.volumes`);
  writeFileSync(`${dir}/.volumes/shop.luks`, 'LUKS');
  mkdirSync(`${dir}/shop/pgdata`, { recursive: true });
  writeFileSync(`${dir}/shop/pgdata/PG_VERSION`, '15\n');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('turning encryption off (decryptScript)', () => {
  it('puts the copy in place of the mount point, then deletes the volume file', () => {
    const r = run(decryptScript(where(), 'dbform-shop'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readFileSync(`${dir}/shop/pgdata/PG_VERSION`, 'utf8')).toBe('15\n');
    expect([existsSync(`${dir}/shop.decrypted`), existsSync(`${dir}/shop.decrypting`), existsSync(`${dir}/.volumes/shop.luks`), existsSync(`${dir}/.volumes`)]).toEqual([false, false, false, false]);
  });

  it('stops at a failed copy with the data and the volume file where they were', () => {
    shim('cp', 'echo "cp: No space left on device" >&2; exit 1');
    const r = run(decryptScript(where(), 'dbform-shop'));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`copying $d to $d.decrypting failed`.replaceAll('$d', `${dir}/shop`));
    expect(readFileSync(`${dir}/shop/pgdata/PG_VERSION`, 'utf8')).toBe('15\n');
    expect(existsSync(`${dir}/.volumes/shop.luks`)).toBe(true);
    expect(existsSync(`${dir}/shop.decrypted`)).toBe(false);
  });

  it('finishes a run cut short after the copy was complete (the copy is not made again)', () => {
    mkdirSync(`${dir}/shop.decrypted/pgdata`, { recursive: true });
    writeFileSync(`${dir}/shop.decrypted/pgdata/PG_VERSION`, '15\n');
    rmSync(`${dir}/shop`, { recursive: true }); // the mount point, empty once unmounted
    mkdirSync(`${dir}/shop`);
    shim('cp', 'exit 1'); // a copy would fail: none is made
    const r = run(decryptScript(where(), 'dbform-shop'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readFileSync(`${dir}/shop/pgdata/PG_VERSION`, 'utf8')).toBe('15\n');
    expect(existsSync(`${dir}/.volumes/shop.luks`)).toBe(false);
  });
});

describe('removing a volume (removeScript)', () => {
  it('deletes the mount point and the volume file, and keeps other add-ons\' volumes', () => {
    writeFileSync(`${dir}/.volumes/other.luks`, 'LUKS');
    const r = run(removeScript(where()), '');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect([existsSync(`${dir}/shop`), existsSync(`${dir}/.volumes/shop.luks`), existsSync(`${dir}/.volumes/other.luks`)]).toEqual([false, false, true]);
  });
});
