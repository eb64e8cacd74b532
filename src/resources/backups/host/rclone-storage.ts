import { spawnSync } from 'node:child_process';
import type { HostStorage } from './program.js';

const MANIFEST_ATTEMPTS = 3;

// The add-on's backups through rclone, inside the image: DEST is `store:BUCKET` (an S3 remote defined by
// the RCLONE_CONFIG_STORE_* variables of backup.env) or `/backups` (a local storage directory mounted there).
export class RcloneStorage implements HostStorage {
  private readonly dir: string;

  constructor(dest: string, addon: string) {
    this.dir = `${dest}/${addon}`;
  }

  readManifests(): string {
    return this.rclone(['cat', '--include', '*.json', this.dir]);
  }

  /** Written again on a failure (the same object each time): a storage's transient error (the test fleet's
   *  S3 server once answered a fresh object's size as 0 under load) must not fail the day's backup. */
  writeManifest(id: string, text: string): void {
    for (let attempt = 1; ; attempt++) {
      try {
        this.rclone(['rcat', `${this.dir}/${id}.json`], text);
        return;
      } catch (e) {
        if (attempt === MANIFEST_ATTEMPTS) throw e;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000 * attempt);
      }
    }
  }

  deleteObject(id: string): boolean {
    return spawnSync('rclone', ['deletefile', `${this.dir}/${id}.dump.age`], { stdio: 'ignore' }).status === 0;
  }

  deleteManifest(id: string): void {
    this.rclone(['deletefile', `${this.dir}/${id}.json`]);
  }

  private rclone(args: string[], input?: string): string {
    const r = spawnSync('rclone', args, { input, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    if (r.error) throw new Error(`rclone ${args[0]}: ${r.error.message}`);
    if (r.status !== 0) throw new Error(`rclone ${args[0]} ${args[args.length - 1]} failed: ${r.stderr.trim().split('\n').slice(-2).join(' ')}`);
    return r.stdout;
  }
}
