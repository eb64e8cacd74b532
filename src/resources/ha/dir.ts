/** Where every container of high availability mounts its host directory: its files, data and TLS files. */
export const HA_DIR = '/var/lib/dbform';
