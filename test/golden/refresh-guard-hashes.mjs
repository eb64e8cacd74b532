// Refreshes the disk-full guard's file hashes in the golden recordings (test/golden/*/observed*.json) of every
// add-on recorded as applied, after host/dbform-diskguard.sh or what it renders changed:
//   npm run build && node test/golden/refresh-guard-hashes.mjs && UPDATE_GOLDEN=1 npx vitest run test/golden
import { readFileSync, writeFileSync, readdirSync, existsSync } from 'node:fs';
const root = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const { loadConfig } = await import(`${root}/dist/config/load.js`);
const { desiredDiskGuard } = await import(`${root}/dist/resources/diskguard/settings.js`);
for (const c of readdirSync(`${root}/test/golden`, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name)) {
  const dir = `${root}/test/golden/${c}`;
  for (const f of readdirSync(dir).filter((f) => /^observed.*\.json$/.test(f))) {
    const yaml = f === 'observed.json' ? 'databases.yaml' : f.replace(/^observed\./, '').replace(/\.json$/, '.yaml');
    if (!existsSync(`${dir}/${yaml}`)) { console.log('skip', c, f); continue; }
    const rec = JSON.parse(readFileSync(`${dir}/${f}`, 'utf8'));
    Object.assign(process.env, rec.env ?? {});
    const config = loadConfig(`${dir}/${yaml}`);
    let n = 0;
    for (const [name, a] of Object.entries(rec.addons ?? {})) {
      if (!a.container && !Object.values(a.backupFiles ?? {}).some((h) => h)) continue;
      const addon = config.addons.find((x) => x.name === name);
      if (!addon) continue;
      const g = desiredDiskGuard(addon, config.hosts.find((h) => h.name === addon.host));
      for (const [p, file] of Object.entries(g.files)) a.backupFiles[p] = file.sha256;
      n++;
    }
    writeFileSync(`${dir}/${f}`, JSON.stringify(rec, null, 2) + '\n');
    console.log(c, f, n);
  }
}
