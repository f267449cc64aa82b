import type { CommandModule } from '../context.js';
import { shortId } from '../reply.js';
import { tasksTexts } from '../texts.js';
import { STATUS_ICON } from './lookup.js';

/** `tasks`: the user's ten most recent tasks. */
export const tasks: CommandModule<'tasks'> = {
  name: 'tasks',
  who: 'user',
  once: false,
  async run(ctx) {
    const items = await ctx.deps.tasks.listRecent(ctx.who.userId, 10);
    if (!items.length) return { private: true, text: tasksTexts.none(ctx.platform) };
    const lines = items.map((t) => {
      const title = t.title.length > 60 ? `${t.title.slice(0, 59)}…` : t.title;
      return tasksTexts.line(STATUS_ICON[t.status], shortId(t.id), t.status, title);
    });
    return { private: true, text: tasksTexts.list(lines, ctx.portal) };
  },
};
