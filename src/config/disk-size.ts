// The `disk:` key of an add-on ("20GB", "512 MB", "1.5TB") and the catalog's default per plan.
// Sizes are binary (1 GB = 1024 MB), as `df -m` and cryptsetup count them, so a quota read back from a
// host compares with the file without rounding surprises.

const UNIT_MB: Record<string, number> = { MB: 1, GB: 1024, TB: 1024 * 1024 };

/** Smallest disk dbform accepts: PostgreSQL's own files, WAL and a little data need about this much. */
export const MIN_DISK_MB = 256;

/** The size in MB, or a message saying what is wrong (the caller adds file:line:col). */
export function parseDiskSize(text: string): number | string {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(MB|GB|TB)\s*$/i.exec(text);
  if (!m) return 'is not a size: write a number and a unit, e.g. "20GB" or "512MB"';
  const mb = Math.floor(Number(m[1]) * (UNIT_MB[m[2]!.toUpperCase()] ?? 1));
  if (mb < MIN_DISK_MB) return `is smaller than the ${MIN_DISK_MB} MB an add-on needs`;
  return mb;
}

/** How a size is shown in plans and status: whole GB when it is one, else MB. */
export function formatDiskMb(mb: number): string {
  return mb % 1024 === 0 ? `${mb / 1024} GB` : `${mb} MB`;
}
