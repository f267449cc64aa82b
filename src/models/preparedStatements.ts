import { createHash } from 'node:crypto';
import { SQL, StringChunk } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import type pg from 'pg';
import type { SqlExecutor } from '../core/tasks/ports.js';
import type { Db } from './db.js';

/**
 * Named prepared statements for the hot paths (intake, the worker's per-task writes): PostgreSQL
 * parses and plans a statement's text once per connection instead of on every call, and node-postgres
 * then sends only Bind/Execute. Drizzle builds the SQL; node-postgres runs it, so results come back
 * with node-postgres's own type parsing (timestamps as Date, int8 and numeric as text).
 */
const dialect = new PgDialect();
const names = new Map<string, string>();
/** Statement texts ever named; beyond this, texts run unnamed (each connection keeps what it prepared). */
const MAX_NAMED = 200;

function nameFor(text: string): string | undefined {
  let name = names.get(text);
  if (!name && names.size < MAX_NAMED) {
    name = `sy_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
    names.set(text, name);
  }
  return name;
}

/** The node-postgres pool under a drizzle database. */
export function poolOf(db: Db): pg.Pool {
  const pool = (db as Db & { $client?: pg.Pool }).$client;
  if (!pool) throw new Error('The database handle has no node-postgres pool');
  return pool;
}

type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

/** Runs raw SQL text as a named prepared statement. */
export async function queryText<R extends pg.QueryResultRow>(
  q: Queryable,
  text: string,
  values: unknown[] = [],
): Promise<pg.QueryResult<R>> {
  const name = nameFor(text);
  return q.query<R>(name ? { name, text, values } : { text, values });
}

/** Runs a drizzle `sql` query as a named prepared statement; returns its rows. */
export async function queryPrepared<R extends pg.QueryResultRow>(q: Queryable, query: SQL): Promise<R[]> {
  const { sql: text, params } = toQuery(query);
  return (await queryText<R>(q, text, params)).rows;
}

/**
 * A `sql` query's text and parameters, as drizzle's PgDialect writes them. Drizzle tests every chunk
 * against a dozen entity classes and merges arrays at each level (a tenth of the CPU of a chat
 * command's intake, measured); the hot paths' statements hold only text, nested `sql` and plain
 * values, which this writes in one pass. Anything else (columns, tables, Param, arrays, dates, an
 * inlined `sql`) goes to drizzle; test/foundation/preparedStatements.test.ts compares the two.
 */
export function toQuery(query: SQL): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  let text = '';
  const write = (q: SQL): boolean => {
    if ((q as unknown as { shouldInlineParams: boolean }).shouldInlineParams) return false;
    for (const chunk of q.queryChunks as unknown[]) {
      if (chunk instanceof StringChunk) text += chunk.value.join('');
      else if (chunk instanceof SQL) {
        if (!write(chunk)) return false;
      } else if (chunk === undefined) continue;
      else if (chunk === null || PLAIN.has(typeof chunk)) {
        params.push(chunk);
        text += `$${params.length}`;
      } else return false;
    }
    return true;
  };
  if (write(query)) return { sql: text, params };
  const { sql: drizzleText, params: drizzleParams } = dialect.sqlToQuery(query);
  return { sql: drizzleText, params: drizzleParams };
}
const PLAIN = new Set(['string', 'number', 'boolean', 'bigint']);

/**
 * Runs `fn` in a transaction on one pooled connection. `exec` writes through the same transaction
 * (what pg-boss needs to insert its jobs there), as prepared statements too.
 *
 * Not `db.transaction` (the rule everywhere else, CONTRIBUTING): drizzle's transaction keeps its
 * node-postgres client private and runs `tx.execute(sql)` unnamed, so the hot path's raw statements
 * would either be parsed and planned on every call or reach into drizzle internals. Same round trips
 * either way (BEGIN, the statements, COMMIT); this one also drops a connection whose ROLLBACK failed.
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient, exec: SqlExecutor) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  const exec: SqlExecutor = {
    executeSql: async (text, values) => ({ rows: (await queryText(client, text, values ?? [])).rows }),
  };
  try {
    await client.query('BEGIN');
    const out = await fn(client, exec);
    await client.query('COMMIT');
    client.release();
    return out;
  } catch (e) {
    try {
      await client.query('ROLLBACK');
      client.release();
    } catch (rollbackError) {
      // The connection is unusable: drop it rather than return it to the pool.
      client.release(rollbackError as Error);
    }
    throw e;
  }
}
