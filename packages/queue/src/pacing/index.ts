export { PacingKeys } from './pacing-keys.js';
export { DEFAULT_RECIPIENT_HASH_KEY, recipientHash } from './recipient-hash.js';
export {
  TenantPacer,
  type PaceCheck,
  type PaceDecision,
  type PaceRefusal,
  type TenantPacerOptions,
} from './tenant-pacer.js';
export { EnqueueAdmission, type EnqueueAdmissionOptions, type SendAdmission } from './enqueue-admission.js';
export { PacingGate, type PacingGateOptions, type TenantPacingConfig } from './pacing-gate.js';
export {
  RestrictionGate,
  TenantRestriction,
  type RestrictionGateOptions,
  type RestrictionStatus,
  type TenantRestrictionOptions,
} from './tenant-restriction.js';
export {
  DispatchSwitches,
  KillSwitchGate,
  type DispatchSwitchState,
  type DispatchSwitchesOptions,
  type KillSwitchGateOptions,
} from './dispatch-switches.js';
