import type { RedeemFailure } from '../../linking/linkService.js';
import type { CommandModule } from '../context.js';
import { linkTexts } from '../texts.js';

/** `link <code>`: connects this chat identity to a Switchyard account (works before any guest exists). */
export const link: CommandModule<'link'> = {
  name: 'link',
  who: 'identity',
  once: true,
  async run(ctx) {
    const currentUserId = ctx.current.known ? ctx.current.identity.user.id : null;
    const out = await ctx.deps.links.redeem(ctx.cmd.code, ctx.key, currentUserId);
    if (out.ok) {
      const text = out.alreadyLinked
        ? linkTexts.alreadyLinked(ctx.platform, out.username)
        : linkTexts.linked(ctx.platform, out.username, out.movedTasks);
      return { private: true, text };
    }
    return { private: true, text: refused(out.reason, ctx.portal) };
  },
};

function refused(reason: RedeemFailure, portal: string): string {
  switch (reason) {
    case 'expired':
      return linkTexts.expired(portal);
    case 'used':
      return linkTexts.used(portal);
    case 'suspended':
      return linkTexts.suspended;
    case 'unknown':
      return linkTexts.invalid(portal);
  }
}
