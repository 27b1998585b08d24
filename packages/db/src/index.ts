export { createDb, splitSchema, type Db, type DbOptions } from './prisma-client.js';
export { MessageDispatchRepository } from './message-dispatch.repository.js';
export { SessionRepository } from './session.repository.js';
export { AuditRepository } from './audit.repository.js';
export { Prisma } from './generated/prisma/client.js';
export type * from './generated/prisma/models.js';
export * from './generated/prisma/enums.js';
