import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { createBoss } from '../../src/jobs/boss.js';
import { createQueues } from '../../src/jobs/queues.js';
import { createLogger } from '../../src/logger.js';
import { createPool, runMigrations } from '../../src/models/db.js';
import { type EmbeddedDatabase, startEmbeddedPostgres } from '../../src/models/embedded.js';

/**
 * One real PostgreSQL for the whole run: the server at DATABASE_URL when set (CI runs both ways),
 * otherwise an embedded one. A migrated template database is built once; every test file clones
 * it (CREATE DATABASE … TEMPLATE), so files run in parallel on clean, isolated databases.
 */
declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
    pgTemplate: string;
  }
}

export default async function setup(project: TestProject) {
  const logger = createLogger({ level: 'error' });
  let embedded: EmbeddedDatabase | undefined;
  let dataDir: string | undefined;
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    dataDir = mkdtempSync(path.join(tmpdir(), 'switchyard-test-'));
    chmodSync(dataDir, 0o755); // the embedded server runs as the postgres user when we are root
    embedded = await startEmbeddedPostgres({ dataDir, logger });
    adminUrl = embedded.url;
  }
  const template = `sy_template_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  // A clean slate: drop what earlier (possibly killed) runs left behind.
  const old = await admin.query(
    `SELECT datname FROM pg_database WHERE datname LIKE 'sy\\_test\\_%' OR datname LIKE 'sy\\_template\\_%'`,
  );
  for (const r of old.rows) {
    await admin.query(`UPDATE pg_database SET datistemplate = false WHERE datname = $1`, [r.datname]);
    await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(r.datname)} WITH (FORCE)`);
  }
  await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(template)}`);
  const tUrl = new URL(adminUrl);
  tUrl.pathname = `/${template}`;
  const pool = createPool(tUrl.toString(), logger, 2);
  await runMigrations(pool);
  await pool.end();
  const boss = createBoss(tUrl.toString(), logger, { max: 2 });
  await boss.start();
  await createQueues(boss);
  await boss.stop({ graceful: false, wait: true } as never);
  await admin.query(`UPDATE pg_database SET datistemplate = true WHERE datname = $1`, [template]);

  project.provide('pgAdminUrl', adminUrl);
  project.provide('pgTemplate', template);

  return async () => {
    try {
      const left = await admin.query(
        `SELECT datname FROM pg_database WHERE datname LIKE 'sy\\_test\\_%' OR datname = $1`,
        [template],
      );
      for (const r of left.rows) {
        await admin.query(`UPDATE pg_database SET datistemplate = false WHERE datname = $1`, [r.datname]);
        await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(r.datname)} WITH (FORCE)`);
      }
    } finally {
      await admin.end();
      if (embedded) await embedded.stop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    }
  };
}
