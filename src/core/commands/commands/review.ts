import { isAppError } from '../../errors.js';
import type { CommandModule } from '../context.js';
import { reviewTexts } from '../texts.js';
import { UUID } from './lookup.js';

/** `approve <contentId>`: approves a content item the user was asked to review. */
export const approveContent: CommandModule<'approve'> = {
  name: 'approve',
  who: 'user',
  once: true,
  async run(ctx) {
    const { ref } = ctx.cmd;
    const id = ref.trim().toLowerCase();
    if (!UUID.test(id)) return { private: true, text: reviewTexts.notAContentId(ref) };
    if (!ctx.deps.collab) return { private: true, text: reviewTexts.approveInPortal(ctx.portal, id) };
    try {
      const c = await ctx.deps.collab.approve(ctx.who.userId, id);
      return { private: true, text: reviewTexts.approved(c.title, c.reviewState) };
    } catch (e) {
      if (isAppError(e) && e.code === 'not_found')
        return { private: true, text: reviewTexts.contentNotFound };
      if (isAppError(e) && (e.code === 'forbidden' || e.code === 'conflict'))
        return { private: true, text: e.message };
      throw e;
    }
  },
};
