import { z } from 'zod';
import { FAILURE_CSV_COLUMNS } from '../../core/reports/failureReport.js';
import {
  CSV_COLUMNS,
  csvLine,
  MAX_REPORT_DAYS,
  REPORT_GROUP_BYS,
  type ReportService,
} from '../../core/reports/usageReport.js';
import type { ApiDeps } from '../deps.js';
import { actorOf, createRouteBuilder } from '../route.js';

const DAY_MS = 86_400_000;
const instant = z
  .string()
  .max(40)
  .refine(
    (s) => /^\d{4}-\d{2}-\d{2}/.test(s) && !Number.isNaN(Date.parse(s)),
    'must be an ISO-8601 date or time',
  )
  .transform((s) => new Date(s));

export const usageRowSchema = z.object({
  key: z.string(),
  label: z.string().describe('The readable name: username, team, provider, date'),
  tasks: z.number(),
  completed: z.number(),
  failed: z.number(),
  tokens: z.number(),
  costMicros: z.number().describe('Integer micro-dollars'),
  p50LatencyMs: z.number().nullable(),
  p95LatencyMs: z.number().nullable(),
});

export const failureRowSchema = z.object({
  code: z
    .string()
    .describe('The attempts’ error code (timeout, rate_limit, server_error, …); `unknown` when none'),
  label: z.string().describe('A readable sentence for the code'),
  attempts: z.number().describe('Failed attempts with this code in the range'),
  tasks: z.number().describe('Distinct tasks that ended failed with at least one such attempt'),
  providers: z.array(z.string()).describe('Names of the providers those attempts went to'),
  lastAt: z.string().describe('When the most recent such attempt was made'),
  example: z
    .string()
    .nullable()
    .describe('The most recent such attempt’s error message (redacted), at most 200 characters'),
});

/** Usage and cost reports (API.md "Collaboration and reports"). Mounted at /api. */
export function reportRoutes(deps: ApiDeps, c: { reports: ReportService }) {
  const r = createRouteBuilder(deps.openapi, '/api');

  r.get(
    '/reports/usage',
    {
      summary: 'Usage and cost of tasks over a date range, grouped',
      description: `\`from\` (inclusive) and \`to\` (exclusive) are ISO dates or times; default: the 30 days up to now; at most ${MAX_REPORT_DAYS} days. Site admins see every task (or one team with \`teamId\`); a team's owners and admins pass their \`teamId\`; members get 403, other teams 404. \`format=csv\` streams the same columns with a header row.`,
      tags: ['Reports'],
      auth: 'user',
      query: z.object({
        from: instant.optional(),
        to: instant.optional(),
        groupBy: z.enum(REPORT_GROUP_BYS).default('day'),
        teamId: z.uuid('must be a UUID').optional(),
        format: z.enum(['json', 'csv']).default('json'),
      }),
      responses: {
        200: { description: 'The report', schema: z.object({ items: z.array(usageRowSchema) }) },
      },
      errors: [403, 404],
    },
    async (ctx) => {
      const to = ctx.query.to ?? new Date();
      const from = ctx.query.from ?? new Date(to.getTime() - 30 * DAY_MS);
      const items = await c.reports.usage(actorOf(ctx), {
        from,
        to,
        groupBy: ctx.query.groupBy,
        ...(ctx.query.teamId ? { teamId: ctx.query.teamId } : {}),
      });
      if (ctx.query.format === 'json') return { items };
      const res = ctx.res;
      res.status(200).set({
        'Content-Type': 'text/csv; charset=utf-8',
        'Content-Disposition': `attachment; filename="usage-${ctx.query.groupBy}-${from.toISOString().slice(0, 10)}.csv"`,
        'Cache-Control': 'no-store',
      });
      res.write(csvLine([...CSV_COLUMNS]));
      for (const row of items) res.write(csvLine(CSV_COLUMNS.map((k) => row[k])));
      res.end();
      return undefined;
    },
  );

  r.get(
    '/reports/failures',
    {
      summary: 'Failure reasons: failed attempts over a date range, by error code',
      description: `Failed provider attempts made in the range (\`from\` inclusive, \`to\` exclusive; default the 30 days up to now; at most ${MAX_REPORT_DAYS} days), grouped by error code, most attempts first. Authorised like \`/reports/usage\`: site admins see every team (or one with \`teamId\`); a team's owners and admins pass their \`teamId\`; members get 403, other teams 404. \`format=csv\` streams the same columns with a header row (providers joined with \`;\`).`,
      tags: ['Reports'],
      auth: 'user',
      query: z.object({
        from: instant.optional(),
        to: instant.optional(),
        teamId: z.uuid('must be a UUID').optional(),
        format: z.enum(['json', 'csv']).default('json'),
      }),
      responses: {
        200: { description: 'The failure reasons', schema: z.object({ items: z.array(failureRowSchema) }) },
      },
      errors: [403, 404],
    },
    async (ctx) => {
      const to = ctx.query.to ?? new Date();
      const from = ctx.query.from ?? new Date(to.getTime() - 30 * DAY_MS);
      const items = await c.reports.failures(actorOf(ctx), {
        from,
        to,
        ...(ctx.query.teamId ? { teamId: ctx.query.teamId } : {}),
      });
      if (ctx.query.format === 'json') return { items };
      const res = ctx.res;
      res.status(200).set({
        'Content-Type': 'text/csv; charset=utf-8',
        'Content-Disposition': `attachment; filename="failures-${from.toISOString().slice(0, 10)}.csv"`,
        'Cache-Control': 'no-store',
      });
      res.write(csvLine([...FAILURE_CSV_COLUMNS]));
      for (const row of items)
        res.write(
          csvLine(FAILURE_CSV_COLUMNS.map((k) => (k === 'providers' ? row.providers.join(';') : row[k]))),
        );
      res.end();
      return undefined;
    },
  );

  return r.router;
}
