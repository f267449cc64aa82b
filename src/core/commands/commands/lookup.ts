import type { TaskRecord } from '../../tasks/types.js';
import type { BaseContext } from '../context.js';
import { type ChatReply, shortId } from '../reply.js';
import { taskTexts } from '../texts.js';

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const STATUS_ICON: Record<TaskRecord['status'], string> = {
  awaiting_approval: '⏸️',
  queued: '⏳',
  running: '⚙️',
  completed: '✅',
  failed: '❌',
  cancelled: '🚫',
};

/** A task of the user's by full id or by a unique prefix of a recent one (as shown in chat). */
export async function findTask(
  ctx: BaseContext,
  ref: string,
  userId: string,
): Promise<TaskRecord | ChatReply> {
  const r = ref.trim().toLowerCase();
  if (UUID.test(r))
    return (
      (await ctx.deps.tasks.get(r, { userId, isAdmin: false })) ?? {
        private: true,
        text: taskTexts.notAmongYours(shortId(r)),
      }
    );
  if (!/^[0-9a-f-]{4,36}$/.test(r)) return { private: true, text: taskTexts.notATaskId(ref) };
  const matches = (await ctx.deps.tasks.listRecent(userId, 100)).filter((t) => t.id.startsWith(r));
  const [only, ...more] = matches;
  if (only && !more.length) return only;
  if (only) return { private: true, text: taskTexts.ambiguous(r) };
  return { private: true, text: taskTexts.notRecent(r) };
}

/** A button pressed on a task that is not the presser's. */
export const notYours = (): ChatReply => ({ private: true, text: taskTexts.notYourButton });
