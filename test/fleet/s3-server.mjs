// The test fleet's S3 endpoint: npm s3rver over TLS. up.sh starts it inside the
// network namespace dbf-s3 (10.77.0.2 on the bridge) as
//
//   node --openssl-legacy-provider test/fleet/s3-server.mjs ADDRESS PORT STATE_DIR/s3 BUCKET
//
// and reads DIR/server.{key,crt} (made by up.sh from the fleet's CA); objects live in
// DIR/data. The bucket exists before the port is opened, so a TCP connect means ready.
// --openssl-legacy-provider: without it ListObjectsV2 paging fails (InternalError).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import S3rver from 's3rver';

const [address, port, dir, bucket] = process.argv.slice(2);
if (!address || !port || !dir || !bucket) {
  console.error('usage: s3-server.mjs ADDRESS PORT DIR BUCKET');
  process.exit(2);
}

const server = new S3rver({
  address,
  port: Number(port),
  key: readFileSync(join(dir, 'server.key')),
  cert: readFileSync(join(dir, 'server.crt')),
  directory: join(dir, 'data'),
  silent: process.env.DBFORM_FLEET_S3_VERBOSE !== '1',
  vhostBuckets: false, // path-style only: s3.fleet/BUCKET/KEY
  configureBuckets: [{ name: bucket, configs: [] }],
});

const stop = () => {
  server.close().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

server.run().then(
  (a) => console.error(`s3-server: listening on https://${a.address}:${a.port}, bucket ${bucket}, data ${join(dir, 'data')}`),
  (err) => {
    console.error(`s3-server: ${err && err.stack ? err.stack : err}`);
    process.exit(1);
  },
);
