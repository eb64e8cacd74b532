import type pg from 'pg';

// Another read of the same command that needs the same add-on's catalog (`dbform status`'s figures, read
// while it checks drift) rides on the connection gather opens to the add-on instead of logging in again:
// each login over SSH is a direct-tcpip channel, a backend start and a SCRAM handshake on both sides, and
// status with drift made two per add-on. The rider only reads (gather never writes, neither does it).

export interface CatalogRider {
  /** Gather has connected to the add-on (to its database, or to `postgres`): the rider may run its queries on
   *  `client`; the connection is closed only once the returned promise settles. */
  ride(addon: string, client: pg.Client): Promise<void>;
  /** Gather is done with the add-on's instance, whether it connected or not (not running, no password, an
   *  error): a rider that did not ride can read on its own. */
  done(addon: string): void;
}
