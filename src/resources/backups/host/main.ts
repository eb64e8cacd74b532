import { USAGE, runHostCommand } from './program.js';
import { RcloneStorage } from './rclone-storage.js';

// Entry of dbform-backup.cjs (see program.ts): `node dbform-backup.cjs COMMAND ...` inside the add-on's image,
// with backup.env in the environment. Prints what it did on stdout (`pruned ID`), errors on stderr.

function main(): number {
  const args = process.argv.slice(2);
  if (!args.length) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  try {
    const dest = process.env.DEST;
    const addon = process.env.ADDON;
    if (!dest || !addon) throw new Error('DEST and ADDON must be set (backup.env)');
    for (const line of runHostCommand(args, process.env, new RcloneStorage(dest, addon), new Date())) process.stdout.write(`${line}\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`dbform-backup.cjs ${args[0]}: ${(e as Error).message}\n`);
    return 1;
  }
}

process.exitCode = main();
