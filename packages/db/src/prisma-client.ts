import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client.js';

export type Db = PrismaClient;

export interface DbOptions {
  /** postgresql:// URL; a `?schema=` parameter selects the schema. */
  url: string;
  /** Pool size per process. */
  max?: number;
}

/**
 * `?schema=` is a Prisma convention, not libpq's: it is taken off the URL and
 * given both to the adapter (schema-qualified queries) and to every pooled
 * connection as its search_path (raw SQL lands in the same schema).
 */
export function splitSchema(raw: string): { connectionString: string; schema: string | undefined } {
  const url = new URL(raw);
  const schema = url.searchParams.get('schema') ?? undefined;
  url.searchParams.delete('schema');
  return { connectionString: url.toString(), schema };
}

export function createDb(options: DbOptions): Db {
  const { connectionString, schema } = splitSchema(options.url);
  const adapter = new PrismaPg(
    {
      connectionString,
      max: options.max ?? 10,
      // idle connections go back quickly: max_connections is shared by every process
      idleTimeoutMillis: 5_000,
      ...(schema ? { options: `-c search_path="${schema}"` } : {}),
    },
    schema ? { schema } : undefined,
  );
  return new PrismaClient({ adapter });
}
