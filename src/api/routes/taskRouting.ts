import { z } from 'zod';
import { notFound } from '../../core/errors.js';
import type { ApiDeps } from '../deps.js';
import { presentRoutingDecision } from '../presenters/task.js';
import { createRouteBuilder } from '../route.js';
import { idParams } from '../schemas.js';

export type TaskRoutingReader = (
  taskId: string,
) => Promise<{ userId: string; status: string; routing: Record<string, unknown> | null } | null>;

const decisionSchema = z
  .object({
    taskId: z.string(),
    status: z.string(),
    decided: z.boolean().describe('false until a worker has routed the task'),
    outcome: z.string().optional().describe('running | succeeded | failed | no_provider | aborted'),
    candidates: z
      .array(z.record(z.string(), z.unknown()))
      .describe('every provider considered: kept or dropped (reason, note), terms, score, rank'),
    chain: z
      .array(z.record(z.string(), z.unknown()))
      .describe('the providers actually tried, in order, with their outcome'),
    previousRuns: z
      .array(z.record(z.string(), z.unknown()))
      .optional()
      .describe('decisions of earlier runs of the job (retries)'),
    view: z
      .enum(['admin', 'owner'])
      .describe(
        'admin: the whole record (accounts, remaining budgets, scores, costs); owner: the chain tried and the reasons only',
      ),
  })
  .catchall(z.unknown());

/**
 * GET /api/tasks/:id/routing: the router's recorded decision. Site admins see all of it; the task's
 * owner (and the members of the task's team) see the chain tried and the reasons, without other
 * accounts, budgets, scores or costs; anyone else gets 404.
 */
export function taskRoutingRoutes(
  deps: ApiDeps,
  read: TaskRoutingReader,
  /** Whether someone other than the owner may see the task (its team's members); owner view. */
  sharedWith?: (taskId: string, userId: string) => Promise<boolean>,
) {
  const r = createRouteBuilder(deps.openapi, '/api');
  r.get(
    '/tasks/:id/routing',
    {
      summary:
        'The routing decision: candidates considered, why each was kept or dropped, the chain tried (admins: also accounts, budgets, scores, costs)',
      tags: ['Tasks'],
      auth: 'user',
      params: idParams,
      responses: { 200: { description: 'Decision', schema: decisionSchema } },
    },
    async (ctx) => {
      const t = await read(ctx.params.id);
      const view = ctx.principal.user.role === 'admin' ? 'admin' : 'owner';
      if (!t) throw notFound('Task');
      if (t.userId !== ctx.principal.user.id && view !== 'admin') {
        if (!(await sharedWith?.(ctx.params.id, ctx.principal.user.id))) throw notFound('Task');
      }
      if (!t.routing)
        return { taskId: ctx.params.id, status: t.status, decided: false, candidates: [], chain: [], view };
      return {
        ...presentRoutingDecision(t.routing, view),
        taskId: ctx.params.id,
        status: t.status,
        decided: true,
      };
    },
  );
  return r.router;
}
