import { z } from 'zod';
import { API_ROUTES, type RouteDoc } from './api-routes.js';
import { ErrorBody } from '../schemas/response-schemas.js';

type JsonSchema = Record<string, unknown>;

/**
 * zod → JSON Schema 2020-12 (the dialect of OpenAPI 3.1). Requests are
 * described as clients send them (`io: 'input'`); bigint (accepted for chat
 * ids from code, never from JSON) is shown as an int64 integer.
 */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output' = 'input'): JsonSchema {
  const out = z.toJSONSchema(schema, {
    io,
    target: 'draft-2020-12',
    unrepresentable: 'any',
    override: (ctx) => {
      if (ctx.zodSchema._zod.def.type === 'bigint') Object.assign(ctx.jsonSchema, { type: 'integer', format: 'int64' });
    },
  }) as JsonSchema;
  delete out.$schema;
  return out;
}

function parametersOf(route: RouteDoc): JsonSchema[] {
  const params: JsonSchema[] = [];
  const add = (where: 'path' | 'query', obj: z.ZodObject | undefined) => {
    if (!obj) return;
    const js = jsonSchemaOf(obj);
    const props = (js.properties ?? {}) as Record<string, JsonSchema>;
    const required = new Set((js.required ?? []) as string[]);
    for (const [name, schema] of Object.entries(props)) {
      params.push({ name, in: where, required: where === 'path' || required.has(name), schema });
    }
  };
  add('path', route.params);
  add('query', route.query);
  for (const [name, schema] of Object.entries(route.headers ?? {})) {
    params.push({ name, in: 'header', required: false, schema: jsonSchemaOf(schema) });
  }
  return params;
}

function operationOf(route: RouteDoc): JsonSchema {
  const responses: Record<string, JsonSchema> = {};
  for (const [status, r] of Object.entries(route.responses)) {
    const isError = Number(status) >= 400;
    const schema = r.schema ? jsonSchemaOf(r.schema, 'output') : isError ? { $ref: '#/components/schemas/Error' } : undefined;
    const content = { ...(schema ? { 'application/json': { schema } } : {}), ...r.extraContent };
    responses[status] = { description: r.description, ...(Object.keys(content).length ? { content } : {}) };
  }
  if (route.body || route.params || route.query || route.headers) {
    responses['400'] ??= { description: 'Invalid request (VALIDATION.*, CHAT_ID.INVALID, PHONE.INVALID, MESSAGE.TEXT_TOO_LONG)', content: errorContent };
  }
  if (route.scopes) {
    responses['401'] ??= { description: 'AUTH.MISSING_KEY, AUTH.INVALID_KEY or AUTH.REVOKED_KEY', content: errorContent };
    responses['403'] ??= { description: 'AUTH.FORBIDDEN (scope) or AUTH.FORBIDDEN_TENANT (another tenant)', content: errorContent };
  }
  return {
    summary: route.summary,
    tags: [route.tag],
    operationId: `${route.method}${route.path.replace(/[{}]/g, '').replace(/[/-](\w)/g, (_m, c: string) => c.toUpperCase())}`,
    ...(route.scopes ? { security: [{ bearer: [] }], 'x-scopes': route.scopes } : { security: [] }),
    ...(parametersOf(route).length ? { parameters: parametersOf(route) } : {}),
    ...(route.body
      ? { requestBody: { required: !route.bodyOptional, content: { 'application/json': { schema: jsonSchemaOf(route.body) } } } }
      : {}),
    responses,
  };
}

const errorContent = { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } };

/** OpenAPI 3.1, assembled once per app from API_ROUTES. */
export function buildOpenApiDocument(opts: { version?: string } = {}): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of API_ROUTES) {
    (paths[route.path] ??= {})[route.method] = operationOf(route);
  }
  paths['/metrics'] = {
    get: {
      summary: 'Prometheus metrics (admin bearer key, or operator Basic credentials)',
      tags: ['ops'],
      security: [{ bearer: [] }, { operatorBasic: [] }],
      responses: { 200: { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } } },
    },
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'wa-dispatch API',
      version: opts.version ?? '0.1.0',
      description:
        'Multi-tenant WhatsApp dispatcher. Every message leaves only through its own tenant’s session user_{chatId}. ' +
        'Errors are always {"error":{"code","message"}}. Bull Board (/admin/queues) uses operator Basic auth.',
    },
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'API key: wad_<a|s|t>_<43 chars>' },
        operatorBasic: { type: 'http', scheme: 'basic', description: 'OPERATOR_USER / OPERATOR_PASSWORD' },
      },
      schemas: { Error: jsonSchemaOf(ErrorBody, 'output') },
    },
  };
}
