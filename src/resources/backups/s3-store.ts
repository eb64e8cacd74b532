import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { dirname, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { StorageConfig } from '../../config/types.js';
import { UserError } from '../../util/errors.js';
import { registerSecret } from '../../util/redact.js';
import type { BackupStore } from './store.js';

export class S3Store implements BackupStore {
  readonly description: string;
  private readonly s3: S3Client;
  private readonly bucket: string;

  /** `configFile`: a relative caFile is read next to it. */
  constructor(storage: Omit<StorageConfig, 'pos'>, configFile: string) {
    const key = process.env[storage.accessKeyIdEnv ?? ''];
    const secret = process.env[storage.secretAccessKeyEnv ?? ''];
    if (!key || !secret) {
      throw new UserError(`storage ${storage.name}: set ${storage.accessKeyIdEnv} and ${storage.secretAccessKeyEnv} to reach its backups`);
    }
    registerSecret(secret);
    const ca = storage.caFile ? readFileSync(resolve(dirname(configFile), storage.caFile)) : undefined;
    this.bucket = storage.bucket!;
    this.description = `${storage.name} (s3 bucket ${storage.bucket})`;
    this.s3 = new S3Client({
      endpoint: storage.endpoint,
      region: storage.region ?? 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: key, secretAccessKey: secret },
      requestHandler: new NodeHttpHandler({ httpsAgent: new Agent({ ca, keepAlive: true }) }),
    });
  }

  async listKeys(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }

  async listManifests(addon: string): Promise<string[]> {
    const keys = (await this.listKeys(`${addon}/`)).filter((k) => k.endsWith('.json'));
    return Promise.all(
      keys.map(async (k) => {
        const r = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: k }));
        return (await r.Body?.transformToString()) ?? '';
      }),
    );
  }

  async openObject(key: string): Promise<{ stream: Readable; done: Promise<void> }> {
    const r = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    return { stream: r.Body as Readable, done: Promise.resolve() };
  }

  async remove(keys: string[]): Promise<void> {
    if (!keys.length) return;
    await this.s3.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys.map((Key) => ({ Key })) } }));
  }

  async put(key: string, body: Buffer): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body }));
  }
}
