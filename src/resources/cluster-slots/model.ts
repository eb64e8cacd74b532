// The primary's side of a highly available add-on's read replicas: one physical replication slot each, kept by
// Patroni as a permanent slot (`slots:` in the cluster's dynamic configuration, in the consensus store). Patroni
// drops any slot on its primary that it does not know, so a slot made by hand (as for a single instance) would
// not last; a permanent one is made on whichever member is the primary, also after a failover or switchover.

export interface DesiredClusterSlots {
  addon: string;
  /** One slot per read replica: the host it is for, and its name (replica/model.ts slotName). */
  slots: Array<{ host: string; slot: string }>;
  /** The member on this host, whose directory holds the fleet CA and a client certificate for Patroni's API. */
  member: { container: string; dir: string; image: string };
  /** The members' REST APIs, this host's first: the configuration is read and changed through any of them. */
  apis: string[];
}

/** The dbform slots in the cluster's dynamic configuration; null when no member's API answered (the cluster is
 *  being made, or its member on this host is not running): nothing is known of them then. */
export type ObservedClusterSlots = { slots: string[] } | null;
