import { z } from 'zod';
import type { ReportSchedule, ScheduleService } from '../../core/reports/scheduleService.js';
import { REPORT_GROUP_BYS } from '../../core/reports/usageReport.js';
import type { ApiDeps } from '../deps.js';
import { actorOf, createRouteBuilder } from '../route.js';

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

/** POST, GET /api/reports/schedules and DELETE /api/reports/schedules/:id. Mounted at /api. */
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
    async (ctx) => present(await c.schedules.create(actorOf(ctx), ctx.body)),
  );
  r.get(
    '/reports/schedules',
    {
      summary: 'The report schedules you may manage',
      description:
        'Your own schedules, those of the teams you own or administer, and every schedule for a site admin; newest first (at most 500).',
      tags: ['Reports'],
      auth: 'user',
      responses: {
        200: { description: 'Schedules', schema: z.object({ items: z.array(scheduleSchema) }) },
      },
    },
    async (ctx) => ({ items: (await c.schedules.list(actorOf(ctx))).map(present) }),
  );

  r.delete(
    '/reports/schedules/:id',
    {
      summary: 'Delete a report schedule',
      description:
        'Its creator, an owner or admin of its team, or a site admin; anyone else gets 404, as for a schedule that does not exist.',
      tags: ['Reports'],
      auth: 'user',
      params: z.object({ id: z.uuid('must be a UUID') }),
      responses: { 204: { description: 'Deleted' } },
    },
    async (ctx) => {
      await c.schedules.remove(actorOf(ctx), ctx.params.id);
      return undefined;
    },
  );
  return r.router;
}
