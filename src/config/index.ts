// Public API of the config module: load databases.yaml into a typed Config, the plan catalog, and the
// parsers other modules reuse (backup hours, CIDRs, names) so that they agree with validation.

export type * from './types.js';
export {
  ConfigError,
  DEFAULT_DATA_DIR,
  DEFAULT_IMAGE,
  DEFAULT_LOCAL_BACKUP_DIR,
  DEFAULT_POSTGRES_VERSION,
  DEFAULT_TIMEZONE,
  formatDiagnostic,
  loadConfig,
  type Diagnostic,
} from './load.js';
export { PLANS, PLAN_NAMES, lookupPlan, postgresSettings, type PitrPolicy, type PlanSpec, type PlanTier, type Retention } from './tiers.js';
export {
  EMBEDDED_HOST_NAME,
  EMBEDDED_STORAGE_NAME,
  addonNameProblem,
  cidrProblem,
  parseScheduleAt,
  userNameProblem,
  type ScheduleAt,
} from './semantic.js';
export { SCHEMA_URL } from './schema-check.js';
export { IMAGE_VERSION_PLACEHOLDER, addonImage } from './image.js';
