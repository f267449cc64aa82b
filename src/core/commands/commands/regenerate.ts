import type { ActionModule } from '../context.js';
import { button, shortId } from '../reply.js';
import { generateTexts } from '../texts.js';
import { heldReply } from './approval.js';
import { notYours } from './lookup.js';

/** Regenerate pressed: the same task again, as a new version of its content (deduped by the task intake). */
export const regenerateButton: ActionModule = {
  action: 'regenerate',
  once: false,
  async run(ctx) {
    const userId = ctx.who.userId;
    const original = await ctx.deps.tasks.get(ctx.taskId, { userId, isAdmin: false });
    if (!original) return notYours();
    const { task, duplicate } = await ctx.deps.tasks.submit(
      {
        userId,
        teamId: original.teamId,
        title: original.title,
        description: original.description,
        taskType: original.taskType,
        priority: original.priority,
        source: ctx.platform,
        providerId: original.providerId,
        options: original.options,
        origin: await ctx.origin(),
        regenerateContentId: original.contentId,
        dedupe: { source: ctx.delivery.source, deliveryId: ctx.delivery.id },
      },
      { teamChecked: true },
    );
    if (task.status === 'awaiting_approval') return heldReply(ctx, task, duplicate);
    return {
      text: generateTexts.regenerating(shortId(original.id), shortId(task.id)),
      buttons: [button('cancel', task.id)],
      taskId: task.id,
      taskCreated: !duplicate,
      duplicate,
    };
  },
};
