import type { Attrs, Change } from '../../plan/types.js';
import type { ContainerSpec, DesiredAddon, ObservedContainer } from '../model.js';
import { RELOADABLE_SETTINGS } from './log-settings.js';
import { checkNoDowngrade, diffMajorUpgrade, imageRebuilt, minorUpgradeMessage } from './upgrade-diff.js';

// Pure: desired container spec + observed container -> at most one change.

export function containerAttrs(spec: ContainerSpec | ObservedContainer): Attrs {
  const mounts = spec.mounts ?? [];
  return {
    image: spec.image,
    memory_mb: spec.memoryMb,
    port: spec.port,
    settings: Object.fromEntries(Object.entries(spec.settings).sort(([a], [b]) => a.localeCompare(b))),
    // Only containers that have other mounts than their data directory show them (PITR's settings).
    ...(mounts.length ? { mounts } : {}),
  };
}

function specStep(desired: DesiredAddon) {
  const c = desired.container;
  return {
    type: 'container.ensure',
    addon: desired.name,
    name: c.name,
    image: c.image,
    memoryMb: c.memoryMb,
    port: c.port,
    settings: c.settings,
    dataDir: c.dataDir,
    ...(c.mounts.length ? { mounts: c.mounts } : {}),
    superuserKey: desired.superuserKey,
    hba: desired.hba,
    tlsNames: desired.tls.names,
  };
}

function differences(want: ContainerSpec, have: ObservedContainer): string[] {
  const diffs: string[] = [];
  if (want.image !== have.image) diffs.push(`image ${have.image}${have.imageVersion ? ` (${have.imageVersion})` : ''} -> ${want.image}`);
  const rebuilt = imageRebuilt(want, have);
  if (rebuilt) diffs.push(rebuilt);
  if (want.memoryMb !== have.memoryMb) diffs.push(`memory ${have.memoryMb} MB -> ${want.memoryMb} MB`);
  if (want.port !== have.port) diffs.push(`port ${have.port} -> ${want.port}`);
  if (want.dataDir !== have.dataDir) diffs.push(`data directory ${have.dataDir || '(none)'} -> ${want.dataDir}`);
  const keys = [...new Set([...Object.keys(want.settings), ...Object.keys(have.settings)])].sort();
  const changed = keys.filter((k) => want.settings[k] !== have.settings[k]);
  if (changed.length) diffs.push(`settings ${changed.join(', ')}`);
  const haveMounts = have.mounts ?? [];
  if (want.mounts.join('\n') !== haveMounts.join('\n')) diffs.push(`mounts ${haveMounts.length ? haveMounts.join(', ') : '(none)'} -> ${want.mounts.length ? want.mounts.join(', ') : '(none)'}`);
  return diffs;
}

/** The changed settings, when every difference is a setting a reload applies; undefined otherwise. */
function reloadOnly(desired: DesiredAddon, observed: ObservedContainer): Record<string, string> | undefined {
  const want = desired.container.settings;
  const changed = [...new Set([...Object.keys(want), ...Object.keys(observed.settings)])].filter((k) => want[k] !== observed.settings[k]);
  if (changed.length === 0 || !changed.every((k) => RELOADABLE_SETTINGS.has(k) && want[k] !== undefined)) return undefined;
  const sameOtherwise = differences({ ...desired.container, settings: observed.settings }, observed).length === 0;
  return sameOtherwise ? Object.fromEntries(changed.map((k) => [k, want[k]!])) : undefined;
}

/**
 * A stopped container's reloadable settings live in its data directory (postgresql.auto.conf), which may
 * be unreadable while it is stopped (an encrypted volume not open yet): those not read are taken as
 * wanted, and checked again once it runs.
 */
function withUnreadSettings(desired: DesiredAddon, observed: ObservedContainer): ObservedContainer {
  if (observed.running) return observed;
  const unread = Object.entries(desired.container.settings).filter(([k]) => RELOADABLE_SETTINGS.has(k) && observed.settings[k] === undefined);
  return unread.length ? { ...observed, settings: { ...observed.settings, ...Object.fromEntries(unread) } } : observed;
}

/** The image IDs and versions in a minor upgrade's before/after (the names alone are the same). */
function imageIds(have: ObservedContainer): { before: Attrs; after: Attrs } {
  if (!have.imageId || !have.tagImageId || have.imageId === have.tagImageId) return { before: {}, after: {} };
  const v = (version: string | null | undefined): Attrs => (version ? { postgresql: version } : {});
  return { before: { image_id: have.imageId, ...v(have.imageVersion) }, after: { image_id: have.tagImageId, ...v(have.tagVersion) } };
}

export function diffContainer(desired: DesiredAddon, seen: ObservedContainer | null): Change[] {
  const base = { address: `addon.${desired.name}.container`, kind: 'container', host: desired.host, addon: desired.name };
  const after = containerAttrs(desired.container);
  const observed = seen && withUnreadSettings(desired, seen);
  if (!observed) {
    return [{ ...base, action: 'create', reason: `add-on ${desired.name} has no container`, before: null, after, hazards: [], steps: [specStep(desired)] }];
  }
  checkNoDowngrade(desired, observed);
  const diffs = differences(desired.container, observed);
  const major = diffMajorUpgrade(desired, observed, specStep(desired), diffs);
  if (major) return [major];
  const reload = observed.running ? reloadOnly(desired, observed) : undefined;
  if (reload) {
    // Only settings a reload applies: ALTER SYSTEM and pg_reload_conf(), clients stay connected.
    const step = { type: 'container.reload', addon: desired.name, name: observed.name, port: observed.port, settings: reload };
    return [{ ...base, action: 'update', reason: diffs.join('; '), before: containerAttrs(observed), after, hazards: [], steps: [step] }];
  }
  if (diffs.length) {
    return [
      {
        ...base,
        action: 'update',
        reason: diffs.join('; '),
        before: { ...containerAttrs(observed), ...imageIds(observed).before },
        after: { ...after, ...imageIds(observed).after },
        hazards: [
          {
            code: 'RESTART',
            message: imageRebuilt(desired.container, observed) && diffs.length === 1
              ? minorUpgradeMessage(desired.name, observed)
              : `${desired.name} is restarted with the new settings; its clients are disconnected until it is back (data is kept)`,
          },
        ],
        steps: [specStep(desired)],
      },
    ];
  }
  if (!observed.running) {
    return [
      {
        ...base,
        action: 'update',
        reason: observed.status === 'running' ? 'container runs without its data directory (not mounted)' : `container is ${observed.status}, not running`,
        before: { ...after, status: observed.status },
        after: { ...after, status: 'running' },
        hazards: [],
        steps: [{ type: 'container.start', addon: desired.name, name: observed.name, port: observed.port }],
      },
    ];
  }
  return [];
}

/** A managed container whose add-on is no longer in the file: removing it deletes its data. One whose add-on
 *  the file now makes highly available goes the same way (dbform does not carry a single instance's data into a
 *  cluster), but leaves the add-on's backup and PITR settings, which the cluster's own changes judge. */
export function diffOrphanContainer(host: string, observed: ObservedContainer): Change {
  const toCluster = observed.replacedByMember === true;
  return {
    address: `addon.${observed.addon}.container`,
    kind: 'container',
    host,
    addon: observed.addon,
    action: 'delete',
    reason: toCluster
      ? `add-on ${observed.addon} is highly available now: its single instance gives way to the cluster's member, which starts empty (restore a backup into it: dbform restore ${observed.addon} --backup ID)`
      : `add-on ${observed.addon} is no longer in the file`,
    before: containerAttrs(observed),
    after: null,
    hazards: [
      {
        code: 'DATA_LOSS',
        message: `the container of ${observed.addon} and its data directory ${observed.dataDir} are deleted; backups are kept`,
      },
    ],
    steps: [{ type: 'container.remove', addon: observed.addon, name: observed.name, dataDir: observed.dataDir, ...(toCluster ? { keepSettings: true } : {}) }],
  };
}
