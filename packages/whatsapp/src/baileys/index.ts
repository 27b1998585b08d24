export {
  BaileysTransport,
  type BaileysSocketLike,
  type BaileysTransportLogger,
  type BaileysTransportOptions,
  type MakeBaileysSocket,
  type TimerApi,
} from './transport.js';
export type { AuthJson, AuthJsonObject, AuthKeyWrites, AuthStateStore } from './auth-state.port.js';
export { SessionAuthState, decodeAuthJson, encodeAuthJson, type BaileysLogger, type SessionAuthStateOptions } from './auth-state.js';
export { ConnectLimiter } from './connect-limiter.js';
export { ReconnectPolicy, type BackoffOptions, type QuarantineOptions } from './reconnect-policy.js';
export { mapSendError, receiptStatus, toInbound } from './mapping.js';
export { MemoryAuthStateStore } from './memory-auth-store.js';
