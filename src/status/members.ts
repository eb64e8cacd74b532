import type { AddonConfig } from '../config/types.js';

// Pure: the members of an add-on as status reads them: its one instance, or a highly available add-on's
// Patroni member on each of its hosts, and the key each member's catalog figures are kept under.

/** Where the add-on runs: its one host, or a highly available add-on's members' hosts. */
export const memberHosts = (a: AddonConfig): string[] => (a.hosts.length ? a.hosts : [a.host]);

export const isHighlyAvailable = (a: AddonConfig): boolean => a.hosts.length > 1;

/** The key of a member's catalog figures: the add-on's name for a single instance. */
export const catalogKey = (a: AddonConfig, host: string): string => (isHighlyAvailable(a) ? `${a.name}@${host}` : a.name);
