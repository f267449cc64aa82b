import { type Api, GrammyError } from 'grammy';
import { ChatDeliverer, type ChatPlatformPort } from '../../core/commands/chatDeliverer.js';
import type { LiveEditPort } from '../../core/commands/liveEdits.js';
import type { ChatOriginStore } from '../../core/commands/ports.js';
import { type TaskView, taskMessages } from '../../core/commands/taskView.js';
import type { LiveFeed } from '../../core/tasks/liveStream.js';
import type { Logger } from '../../logger.js';
import type { TelegramOrigin } from './telegramAdapter.js';
import { keyboard, TELEGRAM_TEXT_LIMIT } from './telegramMessages.js';

type StoredOrigin = TelegramOrigin & { rank?: number; [sent: `sent_${string}`]: number | undefined };

const notModified = (e: unknown) =>
  e instanceof GrammyError && /message is not modified/i.test(e.description);
/** The message to edit is gone or too old: send a new one instead. */
const cannotEdit = (e: unknown) =>
  e instanceof GrammyError &&
  e.error_code === 400 &&
  /message to edit not found|can't be edited|message can't be edited/i.test(e.description);
/** The bot was blocked or removed, or the chat is gone: a retry gets the same answer. */
const unreachable = (e: unknown) =>
  e instanceof GrammyError &&
  (e.error_code === 403 || (e.error_code === 400 && /chat not found/i.test(e.description)));

interface TelegramDeps {
  origins: ChatOriginStore;
  live?: LiveFeed;
  api: Api;
  publicUrl: () => string;
  logger: Logger;
}

type TelegramPart = { text: string; markup: ReturnType<typeof keyboard> | undefined };

/** Posts a Telegram task's progress and result (see TelegramPort). */
export class TelegramDeliverer extends ChatDeliverer<StoredOrigin, TelegramPart> {
  constructor(deps: TelegramDeps) {
    super(new TelegramPort(deps), deps);
  }
}

/**
 * Telegram's part of the chat deliverer (core/commands/chatDeliverer.ts): progress edits our first
 * reply; the result replaces it (first part) and continues as replies, split at 4,096 characters
 * on paragraph boundaries.
 */
export class TelegramPort implements ChatPlatformPort<StoredOrigin, TelegramPart> {
  readonly platform = 'telegram' as const;
  readonly label = 'Telegram';

  constructor(private readonly deps: TelegramDeps) {}

  async progress(taskId: string, o: StoredOrigin, view: TaskView): Promise<boolean> {
    if (!o.ackMessageId) return false;
    try {
      await this.deps.api.editMessageText(o.chatId, o.ackMessageId, view.headline, {
        reply_markup: keyboard(view.buttons),
      });
    } catch (e) {
      if (!notModified(e))
        this.deps.logger.debug('Telegram progress update skipped', { taskId, err: (e as Error).message });
    }
    return true;
  }

  messages(view: TaskView): TelegramPart[] {
    const parts = taskMessages(view, TELEGRAM_TEXT_LIMIT);
    return parts.map((text, i) => ({
      text,
      markup: i === parts.length - 1 ? keyboard(view.buttons) : undefined,
    }));
  }

  post(_taskId: string, o: StoredOrigin, part: TelegramPart, index: number): Promise<void> {
    return this.send(o, part.text, part.markup, index === 0);
  }

  /** Our reply is edited about once a second while the answer streams (Bot API: ~1 message/s per chat). */
  readonly live: LiveEditPort<StoredOrigin> = {
    intervalMs: 1000,
    limit: TELEGRAM_TEXT_LIMIT,
    edit: async (_taskId, o, text, view) => {
      if (!o.ackMessageId) return;
      try {
        await this.deps.api.editMessageText(o.chatId, o.ackMessageId, text, {
          reply_markup: keyboard(view.buttons),
          link_preview_options: { is_disabled: true },
        });
      } catch (e) {
        if (!notModified(e)) throw e;
      }
    },
    retryAfterMs: (e) =>
      e instanceof GrammyError && e.error_code === 429 ? (e.parameters.retry_after ?? 1) * 1000 : undefined,
  };

  /** 429s and network errors are retried by the queue; a blocked bot or a gone chat is not. */
  isPermanent(e: unknown): boolean {
    return unreachable(e);
  }

  private async send(
    o: StoredOrigin,
    text: string,
    markup: ReturnType<typeof keyboard>,
    first: boolean,
  ): Promise<void> {
    const { api } = this.deps;
    if (first && o.ackMessageId) {
      try {
        // An empty keyboard removes the Cancel button of the progress message.
        await api.editMessageText(o.chatId, o.ackMessageId, text, {
          reply_markup: markup ?? { inline_keyboard: [] },
          link_preview_options: { is_disabled: true },
        });
        return;
      } catch (e) {
        if (notModified(e)) return;
        if (!cannotEdit(e)) throw e;
      }
    }
    await api.sendMessage(o.chatId, text, {
      ...(markup ? { reply_markup: markup } : {}),
      ...(o.replyTo
        ? { reply_parameters: { message_id: o.replyTo, allow_sending_without_reply: true } }
        : {}),
      ...(o.threadId ? { message_thread_id: o.threadId } : {}),
      link_preview_options: { is_disabled: true },
    });
  }
}
