import { readFileSync } from 'node:fs';

// The JavaScript half of the backup program (manifests and retention on the host; src/resources/backups/host/),
// bundled by `npm run build` into dist/host/dbform-backup.cjs. Apply installs it next to the shell half
// (host-script.ts) and keeps it at this exact content. Read on first use, not at import: only rendering
// an add-on with backups needs it, and a source checkout that has not been built yet can still run the
// rest (the path works from src/resources/backups and dist/resources/backups alike; the action bundle inlines the text).
let cachedBundle: string | undefined;

export function hostProgram(): string {
  if (cachedBundle === undefined) {
    try {
      cachedBundle = readFileSync(new URL('../../../dist/host/dbform-backup.cjs', import.meta.url), 'utf8');
    } catch (e) {
      throw new Error(`the backup program's bundle is missing (run npm run build): ${(e as Error).message}`);
    }
  }
  return cachedBundle;
}
