export { createApp, type ApiDeps } from './create-app.js';
export { startApi, type RunningApi, type StartApiOptions } from './start-api.js';
export { ApiEnv } from './env.js';
export { ERROR_STATUS, httpStatusFor } from './http/error-status.js';
export { generateApiKey, hashApiKey } from './auth/api-key-codec.js';
export { buildOpenApiDocument } from './openapi/openapi-document.js';
export type { BoardQueue } from './bull-board.js';
