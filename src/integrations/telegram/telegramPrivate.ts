import { type Api, GrammyError } from 'grammy';
import type { ChatReply } from '../../core/commands/reply.js';
import { clip, keyboard } from './telegramMessages.js';

/** Who asked, as Telegram names them (message.from / callback_query.from). */
export interface TelegramAsker {
  id: number;
  username?: string;
  first_name: string;
}

/** Telegram has no ephemeral messages: a private reply asked for in a group goes to the asker's DM. */
export const isGroupChat = (chatType: string) => chatType !== 'private';

const mention = (u: TelegramAsker) => (u.username ? `@${u.username}` : u.first_name);

/**
 * 403 from sendMessage to a user: the bot may only message users who started it (or who have not
 * blocked it since): "Forbidden: bot can't initiate conversation with a user", "…blocked by the user".
 */
const cannotInitiate = (e: unknown) => e instanceof GrammyError && e.error_code === 403;

export type PrivateOutcome = 'sent' | 'not_started' | 'failed';

/** Sends a private reply to the asker's own chat (a user's private chat id is their user id). */
export async function sendPrivately(api: Api, to: TelegramAsker, reply: ChatReply): Promise<PrivateOutcome> {
  try {
    await api.sendMessage(to.id, clip(reply.text), {
      ...(reply.buttons?.length ? { reply_markup: keyboard(reply.buttons) } : {}),
      link_preview_options: { is_disabled: true },
    });
    return 'sent';
  } catch (e) {
    if (cannotInitiate(e)) return 'not_started';
    throw e;
  }
}

/** What the group is told instead of the private answer. Never contains the answer itself. */
export function groupNotice(outcome: PrivateOutcome, to: TelegramAsker, botUsername: string): string {
  switch (outcome) {
    case 'sent':
      return `📬 ${mention(to)}, I sent you the answer in a private chat.`;
    case 'not_started': {
      const where = botUsername ? `open https://t.me/${botUsername}` : 'open a private chat with me';
      return `🔒 ${mention(to)}, the answer is private, but I can’t message you until you start a private chat with me: ${where}, press Start, then ask again.`;
    }
    default:
      return `${mention(to)}, I couldn’t send you the answer in a private chat just now. Please try again in a moment.`;
  }
}
