import type { InlineKeyboardMarkup } from 'grammy/types';
import { type ChatButton, encodeButton } from '../../core/commands/reply.js';

/** Telegram's message text limit (sent as plain text: no parse_mode, so nothing needs escaping). */
export const TELEGRAM_TEXT_LIMIT = 4096;

export function keyboard(buttons: ChatButton[] | undefined): InlineKeyboardMarkup | undefined {
  if (!buttons?.length) return undefined;
  // callback_data is at most 64 bytes: "sy:regenerate:<uuid>" (the longest) is 50.
  return { inline_keyboard: [buttons.map((b) => ({ text: b.label, callback_data: encodeButton(b) }))] };
}

export function clip(text: string): string {
  return text.length <= TELEGRAM_TEXT_LIMIT ? text : `${text.slice(0, TELEGRAM_TEXT_LIMIT - 1)}…`;
}
