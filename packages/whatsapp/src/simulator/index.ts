export { SimulatorTransport, type SimulatorLogger, type SimulatorTransportOptions } from './transport.js';
export {
  SimulatorControl,
  type FailNextSendsOptions,
  type SentFilter,
  type SimulatedFaultKind,
  type SimulatedInbound,
  type SimulatedSend,
  type SimulatorControlOptions,
  type SimulatorSessionInfo,
  type SimulatorSessionStatus,
} from './control.js';
export { DEFAULT_SIMULATOR_PREFIX, simulatorKeys, type SimulatorKeys } from './keys.js';
export type { SimulatorRedis } from './redis.js';
export { SessionRecorder, waitUntil, type WaitOptions } from './recorder.js';
