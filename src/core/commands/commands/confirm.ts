import { formatUsd } from '../../spend/pricing.js';
import type {
  ActionContext,
  ActionModule,
  BaseContext,
  ChatEstimate,
  ChatEstimates,
  Who,
} from '../context.js';
import type { PendingRun, PendingRunRequest } from '../ports.js';
import { button, type ChatReply, shortId } from '../reply.js';
import { confirmTexts, generateTexts } from '../texts.js';
import { heldReply } from './approval.js';

/** A `generate` above the threshold: stored until Run or Cancel (or expiry), with the range shown. */
export async function askToRun(
  ctx: BaseContext & { who: Who },
  est: ChatEstimates,
  request: PendingRunRequest,
  q: ChatEstimate,
): Promise<ChatReply> {
  const id = await est.pending.create({
    userId: ctx.who.userId,
    request,
    expiresAt: new Date(Date.now() + est.ttlMs),
  });
  const range = { min: formatUsd(q.minMicros), max: formatUsd(q.maxMicros) };
  const tokens = q.tokens.toLocaleString('en-US');
  const minutes = Math.round(est.ttlMs / 60_000);
  return {
    text: confirmTexts.askToRun(range, tokens, formatUsd(q.thresholdMicros), minutes),
    buttons: [button('run', id), button('drop', id)],
  };
}

type Pending = { est: ChatEstimates; p: PendingRun };

/** The pending request behind a Run/Cancel button, when it exists and is the presser's. */
async function pendingFor(ctx: ActionContext, what: 'run' | 'cancel'): Promise<Pending | ChatReply> {
  const est = ctx.deps.estimates;
  if (!est) return { private: true, text: confirmTexts.inPortal(ctx.portal) };
  const p = await est.pending.get(ctx.taskId);
  if (!p) return { private: true, text: confirmTexts.gone };
  if (p.userId !== ctx.who.userId) return { private: true, text: confirmTexts.notYours(what) };
  return { est, p };
}

/** Run pressed: submits the stored request once (a second press gets the same task). */
export const runButton: ActionModule = {
  action: 'run',
  once: true,
  async run(ctx) {
    const found = await pendingFor(ctx, 'run');
    if ('text' in found) return found;
    const { est, p } = found;
    if (p.decision === 'cancelled') return { private: true, text: confirmTexts.wasCancelled };
    if (p.decision === 'run' && p.taskId) return alreadyRunning(p.taskId);
    // Claim the Run first (a Cancel pressed meanwhile then loses); a Run already claimed by an
    // earlier press re-submits with the same dedupe key, which answers with the same task.
    if (p.decision === null && !(await est.pending.decide(p.id, 'run'))) {
      const lost = await whyNotClaimed(ctx);
      if (lost) return lost;
    }
    return submitPending(ctx, est, p);
  },
};

/** After a Run that could not be claimed: why, or null when an earlier Run claimed it (go on). */
async function whyNotClaimed(ctx: ActionContext): Promise<ChatReply | null> {
  const now = await pendingFor(ctx, 'run');
  if ('text' in now) return now;
  if (now.p.decision === 'cancelled') return { private: true, text: confirmTexts.wasCancelled };
  if (now.p.decision === null) return { private: true, text: confirmTexts.expired };
  return null;
}

async function submitPending(ctx: ActionContext, est: ChatEstimates, p: PendingRun): Promise<ChatReply> {
  // The pending request's id: two presses (or a retry after a crash) make one task.
  const { task, duplicate } = await submitRequest(ctx, p.request, {
    source: 'chat-confirm',
    deliveryId: p.id,
  });
  await est.pending.attach(p.id, task.id);
  if (duplicate) return alreadyRunning(task.id);
  if (task.status === 'awaiting_approval') return heldReply(ctx, task, false);
  return {
    text: generateTexts.queued(shortId(task.id), task.taskType, task.priority),
    buttons: [button('cancel', task.id)],
    taskId: task.id,
    taskCreated: true,
  };
}

const alreadyRunning = (taskId: string): ChatReply => ({
  private: true,
  text: confirmTexts.alreadyRunning(shortId(taskId)),
  taskId,
  buttons: [button('cancel', taskId)],
});

/** Cancel pressed on a request waiting for Run: it is dropped. */
export const dropButton: ActionModule = {
  action: 'drop',
  once: true,
  async run(ctx) {
    const found = await pendingFor(ctx, 'cancel');
    if ('text' in found) return found;
    const { est, p } = found;
    if (p.decision === 'run' && p.taskId)
      return {
        private: true,
        text: confirmTexts.runningUseTaskCancel(shortId(p.taskId)),
        taskId: p.taskId,
        buttons: [button('cancel', p.taskId)],
      };
    if (p.decision === 'cancelled') return { private: true, text: confirmTexts.alreadyCancelled };
    if (p.decision === 'run' || !(await est.pending.decide(p.id, 'cancelled')))
      return { private: true, text: confirmTexts.tooLate };
    return { text: confirmTexts.dropped };
  },
};

/**
 * Submits a chat `generate` request (at once, or once its estimate is confirmed). The workspace is
 * attached to the team: its commands are the team's, whoever types them.
 */
export async function submitRequest(
  ctx: Pick<ActionContext, 'deps' | 'who' | 'origin'>,
  r: PendingRunRequest,
  dedupe: { source: string; deliveryId: string },
) {
  return ctx.deps.tasks.submit(
    {
      userId: ctx.who.userId,
      teamId: r.teamId,
      description: r.prompt,
      taskType: r.taskType,
      ...(r.priority ? { priority: r.priority } : {}),
      source: r.source,
      providerId: r.providerId,
      origin: await ctx.origin(),
      dedupe,
    },
    { teamChecked: true },
  );
}
