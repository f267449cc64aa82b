import type { CommandContext, CommandModule } from '../context.js';
import type { PendingRunRequest } from '../ports.js';
import { button, type ChatReply, shortId } from '../reply.js';
import { generateTexts } from '../texts.js';
import { heldReply } from './approval.js';
import { askToRun, submitRequest } from './confirm.js';

type Ctx = CommandContext<'generate'>;

/**
 * `generate [--type T] [--priority P] [--provider NAME] <prompt>`: starts a task whose result is
 * posted here, or (above the user's confirm threshold) asks first with Run/Cancel. A new task
 * dedupes through the task intake; only the question goes through the delivery ledger.
 */
export const generate: CommandModule<'generate'> = {
  name: 'generate',
  who: 'user',
  once: false,
  async run(ctx) {
    const provider = await pickProvider(ctx);
    if ('text' in provider) return provider;
    const request = await requestOf(ctx, provider.id);
    // Estimate before running: above the user's threshold, ask first (guests submit at once, as before).
    const est = ctx.deps.estimates;
    if (est && !ctx.who.isGuest) {
      const q = await est.quote({
        userId: ctx.who.userId,
        teamId: request.teamId,
        taskType: request.taskType,
        description: request.prompt,
        providerId: request.providerId,
      });
      if (q.exceedsThreshold) return ctx.once(() => askToRun(ctx, est, request, q));
    }
    return submit(ctx, request);
  },
};

/** The --provider's id (null without one), or why it can't be used. */
async function pickProvider(ctx: Ctx): Promise<{ id: string | null } | ChatReply> {
  const name = ctx.cmd.provider;
  if (!name) return { id: null };
  const directory = ctx.deps.providers;
  if (!directory) return { private: true, text: generateTexts.noProviderPicking(ctx.portal) };
  const p = await directory.findActiveByName(name);
  if (p) return { id: p.id };
  const names = (await directory.listActive()).map((x) => x.name);
  return { private: true, text: generateTexts.unknownProvider(name, names) };
}

/** What to run: the command's parts, the default task type, and the workspace's team (if attached). */
async function requestOf(ctx: Ctx, providerId: string | null): Promise<PendingRunRequest> {
  const { cmd, deps } = ctx;
  const workspace = ctx.workspace ?? ctx.key.workspaceId;
  const teamId =
    workspace && deps.teamForWorkspace ? await deps.teamForWorkspace(ctx.platform, workspace) : null;
  return {
    prompt: cmd.prompt,
    taskType: cmd.taskType ?? deps.defaultTaskType ?? 'article',
    ...(cmd.priority ? { priority: cmd.priority } : {}),
    providerId,
    teamId,
    source: ctx.platform,
  };
}

async function submit(ctx: Ctx, r: PendingRunRequest): Promise<ChatReply> {
  const { task, duplicate } = await submitRequest(ctx, r, {
    source: ctx.delivery.source,
    deliveryId: ctx.delivery.id,
  });
  if (task.status === 'awaiting_approval') return heldReply(ctx, task, duplicate);
  return {
    text: generateTexts.queued(shortId(task.id), task.taskType, task.priority),
    buttons: [button('cancel', task.id)],
    taskId: task.id,
    taskCreated: !duplicate,
    duplicate,
  };
}
