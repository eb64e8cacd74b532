import { writeFileSync } from 'node:fs';
import { it } from 'vitest';
import { fleetUp, hostsYaml, s3StorageYaml } from './fleet-harness.js';
import { Workspace } from './harness.js';

it('scratch: fleet + cluster with PITR, left up', () => {
  const fleet = fleetUp(3);
  const ws = new Workspace();
  ws.write(`version: 1
hosts:
${hostsYaml(fleet)}${s3StorageYaml(fleet.s3)}defaults:
  storage: main
consensus:
  hosts: [db-3]
addons:
  orders:
    plan: postgresql-business-512
    encryptionAtRest: false
    hosts: [db-1, db-2]
    port: 31001
`);
  const env = { ...ws.env, S3_ACCESS_KEY_ID: fleet.s3.accessKeyId, S3_SECRET_ACCESS_KEY: fleet.s3.secretAccessKey };
  writeFileSync('/tmp/scratch-env.sh', Object.entries(env).map(([k, v]) => `export ${k}='${v}'`).join('\n') + `\nexport CFG=${ws.config}\n`);
});
