import type { client } from '../helpers/app.js';
import { withDb } from '../helpers/sql.js';
import { waitFor } from '../helpers/wait.js';

// The generic helpers live in test/helpers/; re-exported for the tests that import them from here.
export { waitFor, withDb };

type Api = ReturnType<typeof client>;

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
