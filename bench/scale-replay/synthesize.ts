// The replayed scale bench's input: N add-ons on H hosts, every one in sync, made by cloning what real
// hosts answered for the add-ons of a golden case (test/golden/no-change: a sandbox add-on and a
// starter add-on with TLS, extensions, backups and two users) under new names. Pure data in, data out.

import { parse, stringify } from 'yaml';
import type { Recording, RecordedAddon } from '../../test/golden/recorded-reader.js';

export interface Fleet {
  /** databases.yaml of the whole fleet. */
  yaml: string;
  recording: Recording;
  /** add-on -> host, for the recorded readers. */
  addonHosts: Record<string, string>;
}

const FIRST_PORT = 35001;

/** Recorded data with every whole-word occurrence of `from` (the add-on's name, which also names its owner
 *  role, database, container, data directory and files) replaced, in keys and values. Certificates are left
 *  as they are: they name the host, not the add-on, and a base64 body could hold the name by chance. */
function renamed<T>(value: T, from: string, to: string): T {
  const word = new RegExp(`(?<![A-Za-z0-9_])${from}(?![A-Za-z0-9_])`, 'g');
  const walk = (v: unknown, key: string): unknown => {
    if (typeof v === 'string') return key === 'serverCert' || key === 'rootCert' ? v : v.replace(word, to);
    if (Array.isArray(v)) return v.map((x) => walk(x, ''));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k.replace(word, to), walk(x, k)]));
    return v;
  };
  return walk(value, '') as T;
}

/**
 * `addons` add-ons spread round-robin over `hosts` local-transport hosts (the diff does not depend on the
 * transport; local hosts keep the recorded certificates valid: they name 127.0.0.1 and localhost).
 * Add-on i is a clone of template i mod templates.length.
 */
export function synthesizeFleet(caseYaml: string, rec: Recording, addons: number, hosts: number): Fleet {
  const doc = parse(caseYaml) as { hosts: Record<string, { dataDir: string }>; addons: Record<string, Record<string, unknown>> } & Record<string, unknown>;
  const templates = Object.keys(doc.addons).sort();
  const dataDir = Object.values(doc.hosts)[0]!.dataDir;
  const hostNames = Array.from({ length: hosts }, (_, i) => `host-${String(i + 1).padStart(2, '0')}`);
  const out: Fleet = { yaml: '', addonHosts: {}, recording: { addons: {}, orphans: [], keystore: {}, env: rec.env, hostErrors: {} } };
  const declared: Record<string, unknown> = {};
  for (let i = 0; i < addons; i++) {
    const template = templates[Math.floor(i / hosts) % templates.length]!; // each host gets every template
    const name = `t${String(i).padStart(4, '0')}-${template}`;
    const host = hostNames[i % hosts]!;
    const port = FIRST_PORT + Math.floor(i / hosts);
    declared[name] = { ...doc.addons[template], port };
    out.addonHosts[name] = host;
    out.recording.addons[name] = cloneAddon(rec.addons[template]!, template, name, port);
    const keys = out.recording.keystore[host] ??= {};
    for (const [key, value] of Object.entries(rec.keystore[Object.keys(rec.keystore)[0]!] ?? {})) {
      if (key.startsWith(`addon/${template}/`)) keys[renamed(key, template, name)] = value;
    }
  }
  const fleetHosts = Object.fromEntries(hostNames.map((h) => [h, { transport: 'local', dataDir }]));
  const config = { ...doc, hosts: fleetHosts, addons: Object.fromEntries(Object.entries(declared).map(([n, a]) => [n, { ...a, host: out.addonHosts[n] }])) };
  out.yaml = stringify(config, { aliasDuplicateObjects: false });
  return out;
}

function cloneAddon(a: RecordedAddon, from: string, to: string, port: number): RecordedAddon {
  const copy = renamed(a, from, to);
  if (copy.container) {
    copy.container = { ...copy.container, port, settings: { ...copy.container.settings, port: String(port) } };
  }
  return copy;
}
