import type { TaskApprovals } from '../../core/spend/approvals.js';
import type { ApiDeps } from '../deps.js';
import { presentTask, taskSchema } from '../presenters/task.js';
import { actorOf, createRouteBuilder } from '../route.js';
import { idParams } from '../schemas.js';

/**
 * Deciding on a task held by an `approve` budget (docs/spend.md "Approval"). Mounted at /api.
 * Owner, team owner/admin or site admin; a team member 403; anyone else 404; not waiting 409
 * `not_awaiting_approval`.
 */
export function approvalRoutes(deps: ApiDeps, a: { approvals: TaskApprovals }) {
  const r = createRouteBuilder(deps.openapi, '/api');

  r.post(
    '/tasks/:id/approve',
    {
      summary:
        'Approve a task awaiting approval: reserves its estimate (accepting the overspend) and queues it',
      tags: ['Spend'],
      auth: 'user',
      params: idParams,
      responses: { 200: { description: 'The task, now queued', schema: taskSchema } },
      errors: [403, 409, 422],
    },
    async (ctx) => presentTask(await a.approvals.approve(ctx.params.id, actorOf(ctx))),
  );

  r.post(
    '/tasks/:id/reject',
    {
      summary: 'Reject a task awaiting approval: it ends cancelled (error approval_rejected)',
      tags: ['Spend'],
      auth: 'user',
      params: idParams,
      responses: { 200: { description: 'The task, now cancelled', schema: taskSchema } },
      errors: [403, 409],
    },
    async (ctx) => presentTask(await a.approvals.reject(ctx.params.id, actorOf(ctx))),
  );

  return r.router;
}
