import { isAppError } from '../../errors.js';
import type { ActionModule, BaseContext, CommandModule } from '../context.js';
import { type ChatReply, shortId } from '../reply.js';
import { cancelTexts, taskTexts } from '../texts.js';
import { findTask } from './lookup.js';

/** `cancel <taskId>` and the Cancel button: stops a queued or running task of the user's. */
export const cancel: CommandModule<'cancel'> = {
  name: 'cancel',
  who: 'user',
  once: true,
  run: (ctx) => cancelTask(ctx, ctx.cmd.ref, ctx.who.userId),
};

export const cancelButton: ActionModule = {
  action: 'cancel',
  once: true,
  run: (ctx) => cancelTask(ctx, ctx.taskId, ctx.who.userId),
};

async function cancelTask(ctx: BaseContext, ref: string, userId: string): Promise<ChatReply> {
  const t = await findTask(ctx, ref, userId);
  if ('text' in t) return t;
  try {
    const out = await ctx.deps.tasks.cancel(t.id, { userId, isAdmin: false });
    return { private: true, text: cancelTexts.cancelled(shortId(out.id)), taskId: out.id };
  } catch (e) {
    if (isAppError(e) && e.code === 'conflict')
      return { private: true, text: cancelTexts.nothingToCancel(shortId(t.id), t.status === 'cancelled') };
    if (isAppError(e) && e.code === 'not_found')
      return { private: true, text: taskTexts.notAmongYours(shortId(t.id)) };
    throw e;
  }
}
