import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { isDatabaseUnavailable } from '../core/databaseErrors.js';
import { describeError, type Logger } from '../logger.js';
import * as schema from './schema.js';

export type Db = NodePgDatabase<typeof schema>;
/** A database handle or an open transaction on it: repositories accept either. */
export type DbOrTx = Db | Parameters<Parameters<Db['transaction']>[0]>[0];

export const migrationsFolder = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

export function createPool(url: string, logger: Logger, max = 20): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
  });
  // An idle client that loses its server emits 'error' on the pool; unhandled, it kills the process.
  // The pool drops that client and opens new ones on demand, so a restarted server is picked up.
  pool.on('error', (err) => {
    if (isDatabaseUnavailable(err)) {
      const { message, code } = describeError(err);
      logger.warn('PostgreSQL connection lost; new queries reconnect', { err: { message, code } });
    } else {
      logger.error('PostgreSQL pool error', { err: describeError(err) });
    }
  });
  return pool;
}

export function createDb(pool: pg.Pool): Db {
  return drizzle(pool, { schema });
}

/** Applies pending migrations under an advisory lock, so concurrent boots are harmless. */
export async function runMigrations(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock(872341001)');
    try {
      await migrate(drizzle(client, { schema }), { migrationsFolder });
    } finally {
      await client.query('SELECT pg_advisory_unlock(872341001)');
    }
  } finally {
    client.release();
  }
}

/** A short description of the database for the banner, without the password. */
export function describeDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return 'PostgreSQL';
  }
}
