import pg from 'pg';
import type { PgBoss } from 'pg-boss';
import type { Env } from '../env.js';
import { createBoss } from '../jobs/boss.js';
import { createQueues } from '../jobs/queues.js';
import type { Logger } from '../logger.js';
import { CacheBus } from '../models/cacheBus.js';
import { createDb, createPool, type Db, describeDatabaseUrl, runMigrations } from '../models/db.js';
import { type EmbeddedDatabase, type EmbeddedRole, startEmbeddedPostgres } from '../models/embedded.js';
import { StreamBus } from '../models/streamBus.js';
import type { Stoppers } from './stoppers.js';

export interface Database {
  embedded?: EmbeddedDatabase;
  databaseUrl: string;
  /** How the banner names the database. */
  databaseLabel: string;
  pool: pg.Pool;
  db: Db;
}

/** Creates the `switchyard` database on an embedded server if it is not there yet. */
async function ensureDatabase(adminUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const r = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!r.rowCount) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

/**
 * DATABASE_URL, or embedded PostgreSQL in DATA_DIR (started, or attached to when another process
 * runs it — see `EmbeddedRole`); then the pool, with every migration applied.
 */
export async function openDatabase(
  env: Env,
  logger: Logger,
  embeddedRole: EmbeddedRole,
  stoppers: Stoppers,
): Promise<Database> {
  let embedded: EmbeddedDatabase | undefined;
  let databaseUrl = env.DATABASE_URL;
  if (!databaseUrl) {
    const started = await startEmbeddedPostgres({ dataDir: env.DATA_DIR, logger, role: embeddedRole });
    embedded = started;
    stoppers.push(() => started.stop());
    databaseUrl = await ensureDatabase(started.url, 'switchyard');
  }
  const databaseLabel = embedded
    ? `embedded PostgreSQL (${embedded.dataDir}, port ${embedded.port}${embedded.attached ? `, run by process ${embedded.ownerPid}` : ''})`
    : `PostgreSQL at ${describeDatabaseUrl(databaseUrl)}`;

  const pool = createPool(databaseUrl, logger, env.DATABASE_POOL_MAX);
  stoppers.push(() => pool.end());
  await runMigrations(pool);
  return { embedded, databaseUrl, databaseLabel, pool, db: createDb(pool) };
}

/**
 * What runs on the database besides queries: pg-boss and its queues, the cache-invalidation bus,
 * and the live-results bus (issue 15: deltas from the worker to SSE and chat, batched NOTIFYs,
 * nothing stored).
 */
export async function startBuses(
  env: Env,
  logger: Logger,
  { databaseUrl, pool }: Database,
  stoppers: Stoppers,
): Promise<{ boss: PgBoss; cache: CacheBus; live: StreamBus }> {
  const boss = createBoss(databaseUrl, logger, { max: Math.max(2, Math.ceil(env.DATABASE_POOL_MAX / 2)) });
  await boss.start();
  stoppers.push(() => boss.stop({ graceful: true, timeout: 10_000 }));
  await createQueues(boss);

  const cache = new CacheBus({ databaseUrl, logger });
  await cache.start();
  stoppers.push(() => cache.stop());
  const live = new StreamBus({ databaseUrl, pool, logger });
  await live.start();
  stoppers.push(() => live.stop());
  return { boss, cache, live };
}
