import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { type EmbeddedDatabase, startEmbeddedPostgres } from '../../src/models/embedded.js';

/**
 * Stopping the embedded PostgreSQL right after a pool has ended — what every shutdown does (Ctrl-C,
 * SIGTERM, `Switchyard.stop()`). `pool.end()` resolves once it has sent each connection's Terminate,
 * not once the server has read it; a fast shutdown in that moment ended those sessions with
 * "terminating connection due to administrator command", which the ended pool still emitted as an
 * error (and Switchyard logged as a lost connection). A session that really stays open (another
 * process attached to the database) must still not hold the stop up for long: it is ended.
 */
const logger = createLogger({ level: 'silent' });
const dataDir = mkdtempSync(path.join(tmpdir(), 'sy-stop-'));
chmodSync(dataDir, 0o755); // the embedded server runs as the postgres user when we are root
let server: EmbeddedDatabase | undefined;

afterAll(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A pool with `size` connections, all idle, and the errors it emits from now on. */
async function idlePool(url: string, size: number) {
  const pool = new pg.Pool({ connectionString: url, max: size });
  const errors: string[] = [];
  pool.on('error', (e) => errors.push(e.message));
  const clients = await Promise.all(Array.from({ length: size }, () => pool.connect()));
  await Promise.all(clients.map((c) => c.query('SELECT 1')));
  for (const c of clients) c.release();
  return { pool, errors };
}

describe('embedded PostgreSQL stop', () => {
  it('a pool ended just before the stop reports no error, round after round', async () => {
    const errors: string[] = [];
    for (let round = 0; round < 5; round++) {
      server = await startEmbeddedPostgres({ dataDir, logger });
      const idle = await idlePool(server.url, 30);
      await idle.pool.end();
      await server.stop();
      server = undefined;
      // Late errors arrive with the sockets' close; give them the time to.
      await new Promise((r) => setTimeout(r, 100));
      errors.push(...idle.errors);
    }
    expect(errors).toEqual([]);
  }, 120_000);

  it('a session still open is ended, and the stop completes', async () => {
    server = await startEmbeddedPostgres({ dataDir, logger });
    const other = new pg.Client({ connectionString: server.url });
    const ended = new Promise<string>((resolve) => other.on('error', (e) => resolve(e.message)));
    await other.connect();
    await server.stop();
    server = undefined;
    expect(await ended).toMatch(/terminating connection due to administrator command/);
    await expect(other.query('SELECT 1')).rejects.toThrow();
  }, 60_000);
});
