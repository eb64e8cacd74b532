import type pg from 'pg';
import type { AddonConfig } from '../config/types.js';
import type { CatalogRider } from '../gather/catalog-rider.js';
import { type CatalogFigures, readCatalogFigures } from './catalog.js';

// Status's catalog figures when the same sample checks drift: read on the connection the drift check's
// gather opens to each add-on (catalog-rider.ts), so an add-on costs one login instead of two. An add-on the
// gather did not connect to (not running, no password, an error, its host not read) is read on its own
// connection once gather is done with it, as without drift. The figures are the server's (pg_stat_activity,
// pg_database, settings), the same from any database, and dbform's own sessions are not counted in them.

interface Pending {
  addon: AddonConfig;
  figures: Promise<CatalogFigures>;
  settle: (figures: Promise<CatalogFigures>) => void;
  started: boolean;
}

export class CatalogFiguresViaGather implements CatalogRider {
  private readonly pending = new Map<string, Pending>();

  /** `own`: how an add-on is read when gather did not connect to it. */
  constructor(
    addons: readonly AddonConfig[],
    private readonly own: (a: AddonConfig) => Promise<CatalogFigures>,
  ) {
    for (const addon of addons) {
      let settle!: (figures: Promise<CatalogFigures>) => void;
      const figures = new Promise<CatalogFigures>((resolve) => (settle = resolve));
      this.pending.set(addon.name, { addon, figures, settle, started: false });
    }
  }

  /** The add-on's figures, once gather connected to it or was done with it (see done). */
  figures(addon: string): Promise<CatalogFigures> {
    return this.pending.get(addon)!.figures;
  }

  ride(addon: string, client: pg.Client): Promise<void> {
    const p = this.pending.get(addon);
    if (!p || p.started) return Promise.resolve(); // not asked for, or read already
    p.started = true;
    const read = readCatalogFigures(client);
    p.settle(read);
    return read.then(
      () => undefined,
      () => undefined,
    );
  }

  done(addon: string): void {
    const p = this.pending.get(addon);
    if (!p || p.started) return;
    p.started = true;
    p.settle(this.own(p.addon));
  }

  /** Gather is over (or failed before reading some add-ons): those not read yet are read on their own. */
  doneWithAll(): void {
    for (const name of this.pending.keys()) this.done(name);
  }
}
