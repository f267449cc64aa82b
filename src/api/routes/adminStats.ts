import { z } from 'zod';
import type { StatsReader } from '../../core/tasks/stats.js';
import { TASK_STATUSES } from '../../core/tasks/types.js';
import type { ApiDeps } from '../deps.js';
import { createRouteBuilder } from '../route.js';

const counts = z.record(z.string(), z.number());

export const adminStatsSchema = z.object({
  users: z.object({ total: z.number() }),
  tasks: z.object({ total: z.number(), byStatus: counts, byType: counts, bySource: counts }),
  providers: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      tasksCompleted: z.number(),
      tasksFailed: z.number(),
      tokensUsed: z.number(),
      errorRate: z.number(),
      p50LatencyMs: z.number().nullable(),
    }),
  ),
  queue: z.object({ queued: z.number(), running: z.number(), failed: z.number() }),
  tasksOverTime: z.array(
    z.object({
      date: z.string(),
      total: z.number(),
      ...Object.fromEntries(TASK_STATUSES.map((s) => [s, z.number().optional()])),
    }),
  ),
});

/** GET /api/admin/stats (admin only). Mounted at /api. */
export function adminStatsRoutes(deps: ApiDeps, s: { stats: StatsReader }) {
  const r = createRouteBuilder(deps.openapi, '/api');

  r.get(
    '/admin/stats',
    {
      summary:
        'Usage figures: users, tasks by status/type/source, per-provider results, queue depth, tasks per day',
      description:
        '`since` (ISO date or date-time) limits the counts to tasks created since then; the queue figures are always current.',
      tags: ['Admin'],
      auth: 'admin',
      query: z.object({ since: z.union([z.iso.datetime({ offset: true }), z.iso.date()]).optional() }),
      responses: { 200: { description: 'Stats', schema: adminStatsSchema } },
    },
    async (ctx) => s.stats.adminStats(ctx.query.since ? new Date(ctx.query.since) : undefined),
  );

  return r.router;
}
