import type { ActionModule, BaseContext, CommandModule } from '../context.js';
import { type ChatReply, shortId } from '../reply.js';
import { shareTexts } from '../texts.js';
import { findTask, UUID } from './lookup.js';

/** `share <taskId|contentId>` and the Share button: a read-only link to a result. */
export const share: CommandModule<'share'> = {
  name: 'share',
  who: 'user',
  once: true,
  run: (ctx) => shareResult(ctx, ctx.cmd.ref, ctx.who.userId),
};

export const shareButton: ActionModule = {
  action: 'share',
  once: true,
  run: (ctx) => shareResult(ctx, ctx.taskId, ctx.who.userId),
};

async function shareResult(ctx: BaseContext, ref: string, userId: string): Promise<ChatReply> {
  const found = await contentToShare(ctx, ref.trim().toLowerCase(), userId);
  if (typeof found !== 'string') return found;
  if (!ctx.deps.shares) return { private: true, text: shareTexts.inPortal(ctx.portal, found) };
  const s = await ctx.deps.shares.create(userId, found);
  const until = s.expiresAt.toISOString().slice(0, 16).replace('T', ' ');
  return { private: true, text: shareTexts.link(until, s.url) };
}

/** The content id behind a completed task of the user's, or a content id the user owns. */
async function contentToShare(ctx: BaseContext, ref: string, userId: string): Promise<string | ChatReply> {
  const t = await findTask(ctx, ref, userId);
  if (!('text' in t)) {
    if (t.status !== 'completed' || !t.contentId)
      return { private: true, text: shareTexts.notCompleted(shortId(t.id), t.status) };
    return t.contentId;
  }
  if (!UUID.test(ref) || !ctx.deps.content) return t;
  const owned = await ctx.deps.content.ownedContent(userId, ref);
  return owned?.id ?? { private: true, text: shareTexts.notFound };
}
