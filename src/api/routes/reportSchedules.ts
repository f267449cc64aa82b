import { z } from 'zod';
import type { ReportSchedule, ScheduleService } from '../../core/reports/scheduleService.js';
import { REPORT_GROUP_BYS } from '../../core/reports/usageReport.js';
import type { ApiDeps } from '../deps.js';
import { createRouteBuilder } from '../route.js';

const deliverTo = z.union([
  z
    .object({ platform: z.enum(['slack', 'discord', 'telegram']), channel: z.string().min(1).max(100) })
    .strict(),
  z.object({ webhookId: z.uuid('must be a UUID') }).strict(),
]);

const scheduleSchema = z.object({
  id: z.string(),
  report: z.literal('usage'),
  groupBy: z.enum(REPORT_GROUP_BYS),
  every: z.enum(['week', 'month']),
  teamId: z.string().nullable(),
  deliverTo: z.record(z.string(), z.unknown()),
  nextRunAt: z.string(),
  lastSentAt: z.string().nullable(),
  createdAt: z.string(),
});

const present = (s: ReportSchedule): z.infer<typeof scheduleSchema> => ({
  id: s.id,
  report: s.report,
  groupBy: s.groupBy,
  every: s.every,
  teamId: s.teamId,
  deliverTo: s.deliverTo as Record<string, unknown>,
  nextRunAt: s.nextRunAt.toISOString(),
  lastSentAt: s.lastSentAt?.toISOString() ?? null,
  createdAt: s.createdAt.toISOString(),
});

/** POST /api/reports/schedules. Mounted at /api. */
export function reportScheduleRoutes(deps: ApiDeps, c: { schedules: ScheduleService }) {
  const r = createRouteBuilder(deps.openapi, '/api');
  r.post(
    '/reports/schedules',
    {
      summary: 'Schedule a usage report every week or month',
      description:
        'Who may read the report may schedule it (site admins; a team’s owners and admins with `teamId`). Sent after midnight UTC on Mondays (week) or the 1st (month) for the period that ended, to a chat channel (`{platform, channel}`, the bot must be configured) or to a webhook’s callback URL (`{webhookId}`, a hook you manage) signed with X-Switchyard-Signature.',
      tags: ['Reports'],
      auth: 'user',
      body: z
        .object({
          report: z.literal('usage'),
          groupBy: z.enum(REPORT_GROUP_BYS),
          every: z.enum(['week', 'month']),
          teamId: z.uuid('must be a UUID').optional(),
          deliverTo,
        })
        .strict(),
      responses: { 201: { description: 'The schedule', schema: scheduleSchema } },
      errors: [403, 404],
    },
    async (ctx) =>
      present(
        await c.schedules.create(
          { userId: ctx.principal.user.id, isAdmin: ctx.principal.user.role === 'admin' },
          ctx.body,
        ),
      ),
  );
  return r.router;
}
