import { isAppError } from '../../errors.js';
import type { CommandModule } from '../context.js';
import { reviewTexts } from '../texts.js';
import { UUID } from './lookup.js';

/** `comment <contentId> <text>`: a comment on a content item (@username mentions notify). */
export const comment: CommandModule<'comment'> = {
  name: 'comment',
  who: 'user',
  once: true,
  async run(ctx) {
    const { ref, text } = ctx.cmd;
    const id = ref.trim().toLowerCase();
    if (!UUID.test(id)) return { private: true, text: reviewTexts.notAContentId(ref) };
    if (!ctx.deps.collab) return { private: true, text: reviewTexts.commentInPortal(ctx.portal, id) };
    try {
      await ctx.deps.collab.comment(ctx.who.userId, id, text);
      return { private: true, text: reviewTexts.commented(ctx.portal, id) };
    } catch (e) {
      if (isAppError(e) && e.code === 'not_found')
        return { private: true, text: reviewTexts.contentNotFound };
      throw e;
    }
  },
};
