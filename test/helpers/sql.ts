import pg from 'pg';
import type { TestApp } from './app.js';

/**
 * Direct SQL on a test database, for setup and for assertions the API does not expose. Takes the
 * database URL, or a running TestApp (then its own pool is used).
 */
export async function sql<T = Record<string, unknown>>(
  target: string | TestApp,
  text: string,
  values: unknown[] = [],
): Promise<T[]> {
  if (typeof target !== 'string') return (await target.sy.pool.query(text, values)).rows as T[];
  return withDb(target, async (c) => (await c.query(text, values)).rows as T[]);
}

/** A client on the database for the length of `fn`. */
export async function withDb<T>(databaseUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}
