import type { Executor } from '../../apply/context.js';
import { field } from '../../apply/context.js';
import { HostDirStore } from '../backups/host-store.js';
import { manifestKey, objectKey } from '../backups/manifest.js';
import type { BackupStore } from '../backups/store.js';
import type { StorageRef } from './desired.js';

// Deletes exactly the backups the plan named (object and manifest), never more: a backup made since the
// plan is not in the step, so it is not touched.
const prune: Executor = async (step, ctx) => {
  const addon = field<string>(step, 'addon', 'string');
  const ids = step.ids;
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string' && /^[A-Za-z0-9._-]+$/.test(id))) {
    throw new Error('plan step backups.prune: ids must be backup ids');
  }
  const storage = field<StorageRef>(step, 'storage', 'object');
  const store: BackupStore =
    storage.type === 's3'
      ? new (await import('../backups/s3-store.js')).S3Store(storage, '') // caFile is absolute in the step
      : new HostDirStore(ctx.host, storage.path!, storage.name);
  ctx.progress(`deleting ${ids.length} backup${ids.length === 1 ? '' : 's'} of ${addon} from ${store.description}`);
  await store.remove((ids as string[]).flatMap((id) => [objectKey(addon, id), manifestKey(addon, id)]));
};

export const retentionExecutors: Record<string, Executor> = { 'backups.prune': prune };
