import type { AddonConfig } from '../config/types.js';

// Pure: the members of an add-on as status reads them: its one instance, or a highly available add-on's
// Patroni member on each of its hosts, its read replicas (one per host, README "Read replicas") and a cluster's
// gateways; the key each member's catalog figures are kept under, and the key each container has in a host's
// probe answer (a host may run an add-on's member and its gateway, so they cannot share the add-on's name).

/** Where the add-on runs: its one host, or a highly available add-on's members' hosts. */
export const memberHosts = (a: AddonConfig): string[] => (a.hosts.length ? a.hosts : [a.host]);

export const isHighlyAvailable = (a: AddonConfig): boolean => a.hosts.length > 1;

/** The hosts that run one of the add-on's read replicas. */
export const readReplicaHosts = (a: AddonConfig): string[] => a.readReplicas ?? [];

/** Every host status probes for the add-on: its members' and its read replicas'. */
export const statusHosts = (a: AddonConfig): string[] => [...new Set([...memberHosts(a), ...readReplicaHosts(a)])];

/** The key of a member's catalog figures: the add-on's name for a single instance. */
export const catalogKey = (a: AddonConfig, host: string): string => (isHighlyAvailable(a) ? `${a.name}@${host}` : a.name);

/** The key of a read replica's catalog figures. */
export const replicaCatalogKey = (a: AddonConfig, host: string): string => `${a.name}/replica@${host}`;

/** A read replica's container and a gateway's in a host's probe answer (an instance's or member's: the add-on's name). */
export const replicaProbeKey = (addon: string): string => `${addon}/replica`;
export const gatewayProbeKey = (addon: string): string => `${addon}/gateway`;
