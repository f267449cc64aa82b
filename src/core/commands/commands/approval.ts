import { isAppError } from '../../errors.js';
import type { TaskRecord } from '../../tasks/types.js';
import type { ActionContext, ActionModule, BaseContext } from '../context.js';
import { button, type ChatReply, shortId } from '../reply.js';
import { approvalTexts } from '../texts.js';

/** A new task held by an `approve` budget: why, and the buttons to decide (shown in the channel). */
export async function heldReply(ctx: BaseContext, task: TaskRecord, duplicate: boolean): Promise<ChatReply> {
  const why = (await ctx.deps.approvals?.describe(task.id)) ?? approvalTexts.defaultWhy;
  return {
    text: approvalTexts.held(shortId(task.id), why),
    buttons: [button('approve', task.id), button('reject', task.id)],
    taskId: task.id,
    taskCreated: !duplicate,
    awaitingApproval: true,
    duplicate,
  };
}

/** Approve pressed on a held task. */
export const approveButton: ActionModule = {
  action: 'approve',
  once: true,
  run: (ctx) => decide(ctx, 'approve'),
};

/** Reject pressed on a held task. */
export const rejectButton: ActionModule = {
  action: 'reject',
  once: true,
  run: (ctx) => decide(ctx, 'reject'),
};

/** Only the task's owner, a team owner/admin of its team (or a site admin) may decide. */
async function decide(ctx: ActionContext, action: 'approve' | 'reject'): Promise<ChatReply> {
  const { taskId } = ctx;
  const id = shortId(taskId);
  const approvals = ctx.deps.approvals;
  if (!approvals) return { private: true, text: approvalTexts.inPortal(ctx.portal) };
  const actor = { userId: ctx.who.userId };
  try {
    if (action === 'approve') {
      await approvals.approve(taskId, actor);
      return { text: approvalTexts.approved(id), taskId };
    }
    await approvals.reject(taskId, actor);
    return { text: approvalTexts.rejected(id), taskId };
  } catch (e) {
    if (isAppError(e) && (e.code === 'not_found' || e.code === 'forbidden'))
      return { private: true, text: approvalTexts.notAllowed(action, id) };
    if (isAppError(e) && e.code === 'not_awaiting_approval')
      return { private: true, text: approvalTexts.notWaiting(action, id) };
    throw e;
  }
}
