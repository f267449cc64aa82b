import { z } from 'zod';
import { AppError } from '../../core/errors.js';
import type { EstimateInput, TaskQuote } from '../../core/spend/intakeReservation.js';
import type { IntakeScopes } from '../../core/spend/ports.js';
import type { TaskService } from '../../core/tasks/taskService.js';
import type { TaskTypeCatalogue } from '../../core/tasks/taskTypes.js';
import { PRIORITIES, TASK_SOURCES, TASK_STATUSES } from '../../core/tasks/types.js';
import type { ApiDeps } from '../deps.js';
import { assignmentSchema, presentAssignment, presentTask, taskSchema } from '../presenters/task.js';
import { actorOf, createRouteBuilder } from '../route.js';
import { idParams, listSchema, pageQuery } from '../schemas.js';

/** Idempotency-Key: remembered per caller for 24 hours. */
export const IDEMPOTENCY_WINDOW_SECONDS = 24 * 3600;

const noNul = (s: string) => !s.includes('\u0000');
const text = (min: number, max: number) =>
  z.string().trim().min(min).max(max).refine(noNul, 'must not contain NUL characters');

export interface TaskRouteDeps {
  tasks: TaskService;
  taskTypes: TaskTypeCatalogue;
  /** The task's real cost so far and its intake estimate, integer micro-dollars (spend control). */
  costOf?: (taskId: string) => Promise<{ costMicros: number; estimatedCostMicros: number | null }>;
  /** The approval of a task held by an `approve` budget (null for any other task). */
  approvalOf?: (taskId: string) => Promise<z.infer<typeof approvalSchema> | null>;
  /** POST /api/tasks/estimate: the cost range and the budgets of a task not submitted yet. */
  estimate?: (task: EstimateInput, scopes: Omit<IntakeScopes, 'taskId'>) => Promise<TaskQuote>;
}

const approvalSchema = z
  .object({
    budgets: z
      .array(
        z.object({
          id: z.string(),
          scope: z.string(),
          name: z.string().nullable(),
          limitMicros: z.number().nullable(),
          limitTokens: z.number().nullable(),
          resetsAt: z.string().nullable(),
        }),
      )
      .describe('The `approve` budgets the task would pass'),
    estimatedCostMicros: z.number(),
    expiresAt: z.string().describe('When the wait ends (the task then fails with approval_expired)'),
    decision: z.enum(['approved', 'rejected', 'expired']).nullable(),
    decidedBy: z.string().nullable(),
    decidedAt: z.string().nullable(),
  })
  .describe('Set when an `approve` budget held the task at intake');

/** Tasks (API.md "Tasks", except /routing) and the task-type catalogue. Mounted at /api. */
export function taskRoutes(deps: ApiDeps, t: TaskRouteDeps) {
  const r = createRouteBuilder(deps.openapi, '/api');
  const typeIds = t.taskTypes.ids() as [string, ...string[]];
  const taskType = z.enum(typeIds);
  const submitBody = z
    .object({
      description: text(1, 50_000),
      taskType,
      title: text(0, 200).optional(),
      priority: z.enum(PRIORITIES).optional(),
      providerId: z.uuid('must be a UUID').optional(),
      options: z
        .object({
          maxTokens: z.number().int().min(1).max(200_000).optional(),
          temperature: z.number().min(0).max(2).optional(),
          model: text(1, 100).optional(),
        })
        .strict()
        .optional(),
      callbackUrl: z
        .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
        .max(2048)
        .optional(),
      source: z.enum(['api', 'portal']).optional().describe('Where the request comes from (default api)'),
      teamId: z.uuid('must be a UUID').optional().describe('Make it a task of this team (a member of it)'),
    })
    .strict();
  const statusSchema = z.object({
    id: z.string(),
    status: z.enum(TASK_STATUSES),
    updatedAt: z.string(),
    attempts: z.number(),
    startedAt: z.string().nullable(),
    completedAt: z.string().nullable(),
    contentId: z.string().nullable(),
    error: z.string().nullable(),
    provider: z.string().nullable(),
    lastError: z.string().nullable(),
  });

  r.get(
    '/task-types',
    {
      summary: 'The task types on offer',
      tags: ['Tasks'],
      auth: 'none',
      responses: {
        200: {
          description: 'Task types',
          schema: z.object({
            items: z.array(
              z.object({
                id: z.string(),
                name: z.string(),
                description: z.string(),
                defaultMaxTokens: z.number(),
              }),
            ),
          }),
        },
      },
    },
    () => ({
      items: t.taskTypes
        .list()
        .map(({ id, name, description, defaultMaxTokens }) => ({ id, name, description, defaultMaxTokens })),
    }),
  );

  r.post(
    '/tasks',
    {
      summary: 'Submit a task (queued at once; a worker runs it)',
      description:
        'Send `Idempotency-Key: <any string>` to make retries safe: the same key from the same user within 24 hours returns the original response and creates nothing new.',
      tags: ['Tasks'],
      auth: 'user',
      body: submitBody,
      responses: {
        201: {
          description: 'Queued task (or, for a repeated Idempotency-Key, the original response)',
          schema: taskSchema,
        },
      },
      errors: [403, 404, 409],
    },
    async (ctx) => {
      const key = ctx.req.get('idempotency-key');
      if (key !== undefined && !/^[\x21-\x7e]{1,255}$/.test(key)) {
        throw new AppError('validation_failed', 'Invalid Idempotency-Key header', {
          details: [
            {
              field: 'headers.idempotency-key',
              message: '1 to 255 visible ASCII characters',
              code: 'invalid_format',
            },
          ],
        });
      }
      const userId = ctx.principal.user.id;
      const out = await t.tasks.submit(
        {
          userId,
          teamId: tokenTeam(ctx.principal.teamId, ctx.body.teamId),
          description: ctx.body.description,
          taskType: ctx.body.taskType,
          title: ctx.body.title,
          priority: ctx.body.priority,
          providerId: ctx.body.providerId ?? null,
          options: ctx.body.options,
          callbackUrl: ctx.body.callbackUrl ?? null,
          source: ctx.body.source ?? 'api',
          ...(key
            ? {
                dedupe: {
                  source: 'api',
                  deliveryId: `${userId}:${key}`,
                  windowSeconds: IDEMPOTENCY_WINDOW_SECONDS,
                },
              }
            : {}),
        },
        {
          ip: ctx.ip,
          isAdmin: ctx.principal.user.role === 'admin',
          apiTokenId: ctx.principal.apiTokenId ?? null,
        },
      );
      if (out.duplicate) ctx.res.setHeader('Idempotent-Replayed', 'true');
      return presentTask(out.original ?? out.task);
    },
  );

  r.post(
    '/tasks/estimate',
    {
      operationId: 'estimateTask',
      summary: 'Estimate what a task would cost before submitting it (nothing is written)',
      description:
        'The same body as POST /api/tasks. `estimatedCostMicros.max` is what intake would reserve (input with its safety margin plus the output cap, at the dearest provider that could run it); `min` is the prompt alone on the cheapest one. `exceedsThreshold`: max is above the confirm threshold (the user’s `estimateConfirmThresholdMicros` on PUT /api/auth/me, else ESTIMATE_CONFIRM_THRESHOLD_MICROS), so the portal asks before submitting. `budgets`: every budget the task would be reserved against; `wouldExceed` means submitting now would be refused (422 budget_exceeded).',
      tags: ['Tasks'],
      auth: 'user',
      body: submitBody,
      responses: {
        200: {
          description: 'Estimate',
          schema: z.object({
            estimatedCostMicros: z
              .object({ min: z.number(), max: z.number() })
              .describe('Integer micro-dollars (USD)'),
            estimatedTokens: z.number().describe('Input tokens with the safety margin plus the output cap'),
            thresholdMicros: z.number(),
            exceedsThreshold: z.boolean(),
            budgets: z.array(
              z.object({
                id: z.string(),
                scope: z.string(),
                name: z.string().nullable(),
                action: z.enum(['block', 'approve', 'notify']),
                remainingMicros: z.number().nullable().describe('null: no money limit'),
                remainingTokens: z.number().nullable().describe('null: no token limit'),
                wouldExceed: z.boolean(),
              }),
            ),
          }),
        },
      },
      errors: [403, 404],
    },
    async (ctx) => {
      if (!t.estimate) throw new AppError('unavailable', 'Cost estimates are not available');
      const input = {
        userId: ctx.principal.user.id,
        teamId: tokenTeam(ctx.principal.teamId, ctx.body.teamId),
        taskType: ctx.body.taskType,
        providerId: ctx.body.providerId ?? null,
        options: ctx.body.options ?? {},
      };
      await t.tasks.checkSubmittable(input, { isAdmin: ctx.principal.user.role === 'admin' });
      return t.estimate(
        {
          taskType: input.taskType,
          description: ctx.body.description,
          options: input.options,
          providerId: input.providerId,
        },
        {
          userId: input.userId,
          teamId: input.teamId,
          webhookId: null,
          apiTokenId: ctx.principal.apiTokenId ?? null,
          chatWorkspace: null,
        },
      );
    },
  );

  r.get(
    '/tasks',
    {
      summary: 'List tasks (mine; a team’s with `teamId`; admins: `all=true` or `userId`)',
      tags: ['Tasks'],
      auth: 'user',
      query: pageQuery.extend({
        status: z.enum(TASK_STATUSES).optional(),
        taskType: z.string().max(64).optional(),
        source: z.enum(TASK_SOURCES).optional(),
        userId: z.uuid('must be a UUID').optional(),
        teamId: z.uuid('must be a UUID').optional(),
        all: z.enum(['true', 'false', '1', '0']).optional(),
      }),
      responses: { 200: { description: 'Tasks, newest first', schema: listSchema(taskSchema) } },
      errors: [403, 404],
    },
    async (ctx) => {
      const q = ctx.query;
      const { items, total } = await t.tasks.list(actorOf(ctx), {
        ...q,
        all: q.all === 'true' || q.all === '1',
      });
      return { items: items.map(presentTask), page: q.page, limit: q.limit, total };
    },
  );

  r.get(
    '/tasks/:id',
    {
      summary: 'A task, with every provider attempt',
      tags: ['Tasks'],
      auth: 'user',
      params: idParams,
      responses: {
        200: {
          description: 'Task',
          schema: taskSchema.extend({
            assignments: z.array(assignmentSchema),
            costMicros: z.number().describe('Real cost so far, integer micro-dollars (USD)'),
            estimatedCostMicros: z
              .number()
              .nullable()
              .describe('The estimate reserved against budgets at intake (null: none was made)'),
            approval: approvalSchema.nullable(),
          }),
        },
      },
    },
    async (ctx) => {
      // The cost and approval reads run beside the (authorising) task read; shown only if it passes.
      const [{ task, assignments }, costRead, approvalRead] = await Promise.all([
        t.tasks.getWithAssignments(ctx.params.id, actorOf(ctx)),
        t.costOf?.(ctx.params.id),
        t.approvalOf?.(ctx.params.id),
      ]);
      const cost = costRead ?? { costMicros: 0, estimatedCostMicros: null };
      const approval = approvalRead ?? null;
      return { ...presentTask(task), assignments: assignments.map(presentAssignment), ...cost, approval };
    },
  );

  r.put(
    '/tasks/:id',
    {
      summary: 'Change a queued task (409 once it has started)',
      tags: ['Tasks'],
      auth: 'user',
      params: idParams,
      body: z
        .object({
          title: text(1, 200).optional(),
          description: text(1, 50_000).optional(),
          priority: z.enum(PRIORITIES).optional(),
          taskType: taskType.optional(),
        })
        .strict()
        .refine((b) => Object.values(b).some((v) => v !== undefined), {
          message: 'send at least one of title, description, priority, taskType',
        }),
      responses: { 200: { description: 'Updated task', schema: taskSchema } },
      errors: [409],
    },
    async (ctx) => presentTask(await t.tasks.update(ctx.params.id, ctx.body, actorOf(ctx))),
  );

  r.delete(
    '/tasks/:id',
    {
      summary: 'Delete a task (cancelling it first if it is queued or running)',
      tags: ['Tasks'],
      auth: 'user',
      params: idParams,
      responses: { 204: { description: 'Deleted' } },
    },
    async (ctx) => {
      await t.tasks.remove(ctx.params.id, actorOf(ctx));
    },
  );

  r.get(
    '/tasks/:id/status',
    {
      summary: 'A task’s progress',
      tags: ['Tasks'],
      auth: 'user',
      params: idParams,
      responses: { 200: { description: 'Status', schema: statusSchema } },
    },
    async (ctx) => {
      const s = await t.tasks.status(ctx.params.id, actorOf(ctx));
      return {
        ...s,
        updatedAt: s.updatedAt.toISOString(),
        startedAt: s.startedAt ? s.startedAt.toISOString() : null,
        completedAt: s.completedAt ? s.completedAt.toISOString() : null,
      };
    },
  );

  r.post(
    '/tasks/:id/cancel',
    {
      summary: 'Cancel a queued or running task (a running provider call is aborted)',
      tags: ['Tasks'],
      auth: 'user',
      params: idParams,
      responses: { 200: { description: 'Cancelled task', schema: taskSchema } },
      errors: [409],
    },
    async (ctx) => presentTask(await t.tasks.cancel(ctx.params.id, actorOf(ctx))),
  );

  return r.router;
}

/** A team-scoped token's tasks are its team's; it may not name another team (403). */
function tokenTeam(scoped: string | undefined, asked: string | undefined): string | null {
  if (scoped && asked && asked !== scoped)
    throw new AppError('forbidden', 'This API token is scoped to another team; omit teamId or use that team');
  return asked ?? scoped ?? null;
}
