// Extensions an add-on may declare: the contrib modules shipped with PostgreSQL 15 that run without
// shared_preload_libraries and that a managed offer can let users have without handing out superuser
// power (no file access, no untrusted languages, no foreign servers). Anything else is a config error.
export const ALLOWED_EXTENSIONS: readonly string[] = [
  'btree_gin',
  'btree_gist',
  'citext',
  'cube',
  'dict_int',
  'earthdistance',
  'fuzzystrmatch',
  'hstore',
  'intarray',
  'isn',
  'lo',
  'ltree',
  'pg_trgm',
  'pgcrypto',
  'seg',
  'tablefunc',
  'tsm_system_rows',
  'tsm_system_time',
  'unaccent',
  'uuid-ossp',
];
