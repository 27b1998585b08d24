export {
  DEFAULT_TENANT_LIMITS,
  LIMIT_BOUNDS,
  TenantLimits,
  TenantLimitsPatch,
  WARMUP_SCHEDULE,
  effectiveLimits,
  limitsFromStored,
  paceIntervalMs,
  warmupStageAt,
  type WarmupStage,
} from './tenant-limits.js';
export { GCRA_CASES, gcra, type GcraCase, type GcraParams, type GcraResult } from './gcra.js';
export { jitterFor, seededRandom, type RandomSource } from './jitter.js';
export { TimeZoneSchema, dayKey, dayWindow, isValidTimeZone, type DayWindow } from './day-key.js';
export {
  DEFAULT_RESTRICTION_BACKOFF_MS,
  RESTRICTION_KINDS,
  isRestrictionKind,
  type RestrictionKind,
} from './restriction.js';
