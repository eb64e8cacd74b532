// Downtime of dbform's upgrades, measured from a client's side in one run on the local Docker engine: a
// writer commits a row every 50 ms through the add-on's published port (reconnecting after each failure),
// and the longest gap between two successful commits while `dbform apply` runs is the downtime.
//   1. minor upgrade: the image's name re-pointed to a rebuilt image (a label only: our mirror has one
//      15.x), `apply --allow-hazards RESTART`;
//   2. the other method, by hand on copies of the same data with the add-on stopped: pg_upgrade --link and
//      --copy (bench/upgrade-tools-image.sh puts both versions' binaries in one image), timed alone (a real
//      pg_upgrade downtime adds the stop and start of the add-on, as in 1);
//   3. major upgrade 15 -> 17 of SIZE_MB of data (dump and restore, with the backup taken first):
//      `apply --allow-hazards MAJOR_UPGRADE`.
// Run it from the repository root after `npm run build`, under the fleet lock (it starts containers):
//   flock -o /tmp/dbform-fleet.lock node bench/upgrade-downtime.mjs [--size-mb 1024]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';

const SIZE_MB = Number(process.argv[process.argv.indexOf('--size-mb') + 1] || 0) || 1024;
const ADDON = 'bench-upg';
const PORT = 34301;
const IMAGE = 'dbform-bench-upg';
const WORK = mkdtempSync('/var/tmp/dbform-bench-upg.');
const CONFIG = join(WORK, 'databases.yaml');
const env = { ...process.env, DBFORM_MASTER_KEY: 'benchmark-master-key-000000001', XDG_CONFIG_HOME: join(WORK, 'xdg'), NO_COLOR: '1', NODE_NO_WARNINGS: '1' };

function sh(cmd, args, input) {
  const r = spawnSync(cmd, args, { env, input, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
  return r.stdout.trim();
}
const dbform = (...args) => sh(process.execPath, ['bin/dbform.js', ...args, '-f', CONFIG]);
/** dbform without blocking this process's event loop (the writer runs in it meanwhile). */
function dbformAsync(...args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/dbform.js', ...args, '-f', CONFIG], { env });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`dbform ${args.join(' ')} failed: ${out}`))));
  });
}
const psql = (q) => sh('docker', ['exec', '-i', `dbform-${ADDON}`, 'psql', '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-h', '/tmp', '-p', String(PORT), '-d', ADDON], q);

function config(version) {
  writeFileSync(CONFIG, `version: 1
hosts:
  local:
    transport: local
    dataDir: ${WORK}/data
storage:
  main:
    type: local
    path: ${WORK}/backups
defaults:
  timezone: UTC
  image: ${IMAGE}:{version}
addons:
  ${ADDON}:
    plan: postgresql-starter-1024
    encryptionAtRest: false # this machine's kernel has no device-mapper for LUKS
    version: "${version}"
    port: ${PORT}
    backups:
      pitr: false
`);
}

/** Commits a row every 50 ms until stopped; the longest gap between two commits is the downtime seen. */
function writer(url) {
  let stop = false;
  let errors = 0;
  let lastError = '';
  let last = Date.now();
  let longest = 0;
  let gapEndedAt = 0;
  let commits = 0;
  const done = (async () => {
    let client = null;
    while (!stop) {
      try {
        if (!client) {
          client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000, query_timeout: 5000 });
          client.on('error', () => {});
          await client.connect();
        }
        await client.query('INSERT INTO ticks DEFAULT VALUES');
        const now = Date.now();
        if (now - last > longest) [longest, gapEndedAt] = [now - last, now];
        last = now;
        commits++;
      } catch (e) {
        errors++;
        lastError = e.message;
        await client?.end().catch(() => {});
        client = null;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    await client?.end().catch(() => {});
  })();
  const stopWriter = async () => {
    stop = true;
    await done;
    return { longestGapS: longest / 1000, gapEndedAt, commits, errors, lastError };
  };
  /** Resolves once the writer commits (the gap is measured from there, not from its first connection). */
  const committing = async () => {
    for (const deadline = Date.now() + 60_000; commits === 0; await new Promise((r) => setTimeout(r, 50))) {
      if (Date.now() > deadline) throw new Error(`the writer does not commit: ${lastError}`);
    }
    longest = 0;
    last = Date.now();
  };
  return { stopWriter, committing };
}

const TOOLS = `${IMAGE}:tools`;
const asRoot = (dataDir, cmd) => sh('docker', ['run', '--rm', '--user', 'root', '--network', 'none', '-v', `${dataDir}:/d`, TOOLS, 'sh', '-c', cmd]);

/** pg_upgrade (15 -> 17) on a copy of the add-on's data, each mode; the add-on is stopped meanwhile. */
function pgUpgradeTimes(dataDir) {
  // The copy belongs to the tools image's postgres: its uid is not the 15 image's (102 there since the HA packages).
  sh('bash', ['bench/upgrade-tools-image.sh', TOOLS]);
  const seconds = {};
  sh('docker', ['stop', '-t', '60', `dbform-${ADDON}`]);
  try {
    for (const mode of ['--link', '--copy']) {
      asRoot(dataDir, 'rm -rf /d/bench-old /d/bench-new && cp -a /d/pgdata /d/bench-old && chown -R postgres:postgres /d/bench-old && mkdir /d/bench-new && chown postgres:postgres /d/bench-new && chmod 700 /d/bench-new');
      sh('docker', ['run', '--rm', '--user', 'postgres', '--network', 'none', '-v', `${dataDir}:/d`, TOOLS, 'initdb', '-D', '/d/bench-new', '-U', 'postgres', '-E', 'UTF8', '--locale=C.UTF-8']);
      const t0 = Date.now();
      sh('docker', ['run', '--rm', '--user', 'postgres', '--network', 'none', '-w', '/tmp', '-v', `${dataDir}:/d`, TOOLS,
        'pg_upgrade', '-b', '/usr/lib/postgresql/15/bin', '-B', '/usr/lib/postgresql/17/bin', '-d', '/d/bench-old', '-D', '/d/bench-new', mode]);
      seconds[mode] = (Date.now() - t0) / 1000;
    }
  } finally {
    asRoot(dataDir, 'rm -rf /d/bench-old /d/bench-new');
    sh('docker', ['start', `dbform-${ADDON}`]);
  }
  return seconds;
}

async function timedApply(hazard, url) {
  const { stopWriter, committing } = writer(url);
  await committing();
  await new Promise((r) => setTimeout(r, 1000));
  const t0 = Date.now();
  const out = await dbformAsync('apply', '--auto-approve', '--allow-hazards', hazard);
  const applyS = (Date.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 1000));
  const w = await stopWriter();
  const reported = /down for ([\d.]+) s/.exec(out)?.[1];
  // Where the gap lies within the apply (seconds from its start), to tell downtime from the work before it.
  const gap = `${((w.gapEndedAt - w.longestGapS * 1000 - t0) / 1000).toFixed(1)}..${((w.gapEndedAt - t0) / 1000).toFixed(1)} s`;
  return { applyS, ...w, gap, ...(reported && { reportedDownS: Number(reported) }) };
}

try {
  for (const v of ['15', '17']) sh('bash', ['scripts/build-image.sh', '--version', v, `${IMAGE}:${v}`]);
  config('15');
  dbform('apply', '--auto-approve');
  const url = /^DATABASE_URL=(.*)$/m.exec(dbform('output', ADDON, '--all'))[1];
  psql(`CREATE TABLE ticks (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp()); ALTER TABLE ticks OWNER TO "${ADDON}";`);
  const rows = Math.round((SIZE_MB * 1024 * 1024) / 330);
  let t0 = Date.now();
  psql(`CREATE TABLE big AS SELECT g AS id, md5(g::text) AS key, repeat(md5((g + 1)::text), 6) AS pad FROM generate_series(1, ${rows}) g;
ALTER TABLE big ADD PRIMARY KEY (id); CREATE INDEX big_key ON big (key); VACUUM ANALYZE big;`);
  const sizeMb = Number(psql(`SELECT pg_database_size('${ADDON}') / 1048576`));
  console.log(`data: ${sizeMb} MB in ${((Date.now() - t0) / 1000).toFixed(0)} s`);

  sh('docker', ['create', '--name', 'bench-upg-rebuild', `${IMAGE}:15`, 'true']);
  sh('docker', ['commit', '--change', `LABEL dbform.rebuilt=${Date.now()}`, 'bench-upg-rebuild', `${IMAGE}:15`]);
  sh('docker', ['rm', 'bench-upg-rebuild']);
  const minor = await timedApply('RESTART', url);
  console.log(`minor upgrade (restart on the rebuilt image): longest write gap ${minor.longestGapS.toFixed(1)} s (${minor.gap} of the apply), apply ${minor.applyS.toFixed(1)} s; ${minor.commits} commits, ${minor.errors} failed attempts`);

  const pgUpgrade = pgUpgradeTimes(`${WORK}/data/${ADDON}`);
  console.log(`pg_upgrade of the same ${sizeMb} MB (alone, add-on stopped): --link ${pgUpgrade['--link'].toFixed(1)} s, --copy ${pgUpgrade['--copy'].toFixed(1)} s`);
  sh('sh', ['-c', `until docker exec dbform-${ADDON} pg_isready -q -h /tmp -p ${PORT}; do sleep 0.2; done`]);

  config('17');
  const major = await timedApply('MAJOR_UPGRADE', url);
  console.log(`major upgrade 15 -> 17, dump/restore of ${sizeMb} MB (backup first): longest write gap ${major.longestGapS.toFixed(1)} s (${major.gap} of the apply) ` +
    `(apply reports ${major.reportedDownS} s down), apply ${major.applyS.toFixed(1)} s in all; ${major.commits} commits, ${major.errors} failed attempts`);
  console.log(`after: PostgreSQL ${psql('SHOW server_version')}, ${psql('SELECT count(*) FROM big')} rows in big; plan: ${dbform('plan').split('\n').find((l) => /No changes/.test(l)) ?? 'NOT EMPTY'}`);
} finally {
  spawnSync('docker', ['rm', '-f', `dbform-${ADDON}`, 'bench-upg-rebuild', `dbform-${ADDON}-upgrade-old`, `dbform-${ADDON}-upgrade-new`], { stdio: 'ignore' });
  spawnSync('docker', ['rmi', TOOLS], { stdio: 'ignore' });
  rmSync(`/etc/cron.d/dbform-${ADDON}`, { force: true });
  rmSync(WORK, { recursive: true, force: true });
}
