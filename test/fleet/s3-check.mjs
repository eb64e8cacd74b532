// Talks to the fleet's S3 endpoint from the machine (root namespace) with the AWS
// SDK v3, the way a test would: endpoint https://<s3.address> (the name s3.fleet is
// only in the hosts' /etc/hosts), the fleet's CA, path-style, us-east-1.
//
//   node test/fleet/s3-check.mjs STATE_DIR/fleet.json [PREFIX [KEY]]
//
// Prints "key size etag" for every object under PREFIX, then, with KEY, the
// object's size and sha256 ("get KEY SIZE SHA256"). Exit 1 on any error.
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import https from 'node:https';
import { S3Client, ListObjectsV2Command, GetObjectCommand } from '@aws-sdk/client-s3';

const [fleetFile, prefix = '', key] = process.argv.slice(2);
if (!fleetFile) {
  console.error('usage: s3-check.mjs FLEET_JSON [PREFIX [KEY]]');
  process.exit(2);
}
const { s3 } = JSON.parse(readFileSync(fleetFile, 'utf8'));
const client = new S3Client({
  endpoint: `https://${s3.address}:${s3.port ?? 443}`,
  region: s3.region,
  forcePathStyle: true,
  credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  requestHandler: { httpsAgent: new https.Agent({ ca: readFileSync(s3.caFile), keepAlive: true }) },
});

try {
  let token;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) console.log(`${o.Key} ${o.Size} ${o.ETag}`);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  if (key) {
    const res = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of res.Body) {
      hash.update(chunk);
      size += chunk.length;
    }
    console.log(`get ${key} ${size} ${hash.digest('hex')}`);
  }
} catch (err) {
  console.error(`s3-check: ${err?.name ?? 'Error'}: ${err?.message ?? err}`);
  process.exit(1);
} finally {
  client.destroy();
}
