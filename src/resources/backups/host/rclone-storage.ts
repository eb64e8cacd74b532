import { spawnSync } from 'node:child_process';
import type { HostStorage } from './program.js';

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

  writeManifest(id: string, text: string): void {
    this.rclone(['rcat', `${this.dir}/${id}.json`], text);
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
