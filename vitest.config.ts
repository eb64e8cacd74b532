import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vitest/config';
import { schemaValidatorModule } from './scripts/compile-schema.mjs';

// The config schema's validation code is generated at build time (scripts/compile-schema.mjs writes
// dist/config/schema-validate.js); tests run the sources, so they get the same module from the same generator.
const VIRTUAL_VALIDATOR = '\0dbform:schema-validate';
const SOURCE_VALIDATOR = resolve(dirname(fileURLToPath(import.meta.url)), 'src', 'config', 'schema-validate.js');
const compiledSchema: Plugin = {
  name: 'dbform-compiled-schema',
  enforce: 'pre',
  resolveId(id, importer) {
    if (!importer || !id.endsWith('schema-validate.js')) return null;
    return resolve(dirname(importer), id) === SOURCE_VALIDATOR ? VIRTUAL_VALIDATOR : null;
  },
  load(id) {
    return id === VIRTUAL_VALIDATOR ? schemaValidatorModule() : null;
  },
};

// The integration files that run in the suite's second lane, on a fleet of their own (scripts/test.sh runs both
// lanes at once). Most of them spend most of their time waiting for the hosts' cron (the disk guard's minute, a
// scheduled backup) and for WAL to be archived, while the first lane keeps both cores busy (the LUKS VM, which
// only the first lane uses, and HA clusters); the last eight even the lanes out (measured: about 50 and 46 min on a
// loaded 2-core machine, the first lane's files taking 3100 s and the second's 2600 s before fleet and upgrade moved).
const SECOND_LANE = [
  'disk-full-fs', 'disk-full', 'backups', 'pitr', 'pitr-restore', 'restore', 'drill',
  'dashboard', 'status', 'logs-ssh', 'ha-convert', 'ha-read-replica', 'ha-consensus-move', 'fleet', 'upgrade',
].map((f) => `test/integration/${f}.test.ts`);
const integration = { testTimeout: 300_000, hookTimeout: 300_000, fileParallelism: false } as const;

// Unit tests are pure data (desired + observed -> plan) and run anywhere; integration tests drive the built CLI
// against real hosts (a fleet of network namespaces, the LUKS VM, this machine's Docker engine) and PostgreSQL.
export default defineConfig({
  plugins: [compiledSchema],
  test: {
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts', 'test/golden/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          exclude: SECOND_LANE,
          ...integration,
          // Shuts the VM test host down once (test/integration/vm-teardown.ts).
          globalSetup: ['test/integration/vm-teardown.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration-2',
          include: SECOND_LANE,
          ...integration,
          // Its own fleet (test/fleet/lib.sh): other names, subnet and state directory than the first lane's.
          env: { DBFORM_FLEET_ID: 'test2', DBFORM_FLEET_STATE: '/fleet-state-2' },
        },
      },
      // Upgrade paths from an older dbform (it must be built first): run by bench/ha-tls-move.sh, not by `npm test`.
      { extends: true, test: { name: 'upgrade', include: ['test/upgrade/**/*.test.ts'], testTimeout: 600_000, hookTimeout: 600_000, fileParallelism: false } },
    ],
  },
});
