import type { TaskRecord } from '../../tasks/types.js';
import type { CommandModule } from '../context.js';
import { button, type ChatButton, shortId } from '../reply.js';
import { portalUrlFor } from '../taskView.js';
import { statusTexts } from '../texts.js';
import { findTask, STATUS_ICON } from './lookup.js';

/** `status <taskId>`: where a task is, with the buttons that fit its state. */
export const status: CommandModule<'status'> = {
  name: 'status',
  who: 'user',
  once: false,
  async run(ctx) {
    const t = await findTask(ctx, ctx.cmd.ref, ctx.who.userId);
    if ('text' in t) return t;
    const lines = [
      statusTexts.header(STATUS_ICON[t.status], shortId(t.id), t.status),
      statusTexts.title(t.title),
      statusTexts.facts(t.taskType, t.priority, t.source),
    ];
    if (t.status === 'failed' && t.error) lines.push(statusTexts.error(t.error.split('\n')[0]));
    lines.push(statusTexts.link(t.status === 'completed', portalUrlFor(ctx.portal, t)));
    return { private: true, text: lines.join('\n'), buttons: statusButtons(t), taskId: t.id };
  },
};

function statusButtons(t: TaskRecord): ChatButton[] {
  switch (t.status) {
    case 'awaiting_approval':
      return [button('approve', t.id), button('reject', t.id), button('cancel', t.id)];
    case 'queued':
    case 'running':
      return [button('cancel', t.id)];
    case 'completed':
      return [button('regenerate', t.id), button('share', t.id)];
    default:
      return [button('regenerate', t.id)];
  }
}
