import pg from 'pg';
import type { client } from '../helpers/app.js';

type Api = ReturnType<typeof client>;

/** Polls `probe` until it returns a truthy value (short interval; the test's own timeout bounds it). */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | null | false>,
  what: string,
  timeoutMs = 25_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(
        `Timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`,
      );
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Waits until the task's status is one of `statuses`; returns the full task (GET /api/tasks/:id). */
export async function waitForStatus(api: Api, id: string, statuses: string[], timeoutMs?: number) {
  return waitFor(
    async () => {
      const r = await api.get(`/api/tasks/${id}`);
      return statuses.includes(r.body?.status) ? r.body : undefined;
    },
    `task ${id} to be ${statuses.join('|')}`,
    timeoutMs,
  );
}

/** Direct SQL on the test database, for setup (mock behaviour) and for assertions the API does not expose. */
export async function withDb<T>(databaseUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Sets the built-in mock provider's behaviour (latencyMs, failureMode, failTimes…). */
export async function setMockConfig(databaseUrl: string, config: Record<string, unknown>): Promise<void> {
  await withDb(databaseUrl, async (c) => {
    const r = await c.query(`UPDATE ai_providers SET config = config || $1::jsonb WHERE kind = 'mock'`, [
      JSON.stringify(config),
    ]);
    if (r.rowCount !== 1) throw new Error(`expected one mock provider, found ${r.rowCount}`);
  });
}

export const TERMINAL = ['completed', 'failed', 'cancelled'];
