import { type Api, GrammyError } from 'grammy';
import type { ChatOriginStore } from '../../core/commands/ports.js';
import { EVENT_RANK, taskMessages, viewTaskEvent } from '../../core/commands/taskView.js';
import type { ResultDeliverer, TaskEvent } from '../../core/tasks/types.js';
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

/**
 * Posts a Telegram task's progress and result: progress edits our first reply; the result
 * replaces it (first part) and continues as replies, split at 4,096 characters on paragraph
 * boundaries. Deliveries for one task are serialised and parts already sent are remembered.
 */
export class TelegramDeliverer implements ResultDeliverer {
  readonly source = 'telegram' as const;

  constructor(
    private readonly deps: { origins: ChatOriginStore; api: Api; publicUrl: () => string; logger: Logger },
  ) {}

  async deliver(event: TaskEvent): Promise<void> {
    const taskId = event.task.id;
    const { api } = this.deps;
    await this.deps.origins.withLock(taskId, async () => {
      const o = (await this.deps.origins.get(taskId)) as StoredOrigin | null;
      if (o?.platform !== 'telegram') return;
      const view = viewTaskEvent(event, this.deps.publicUrl());
      const rank = EVENT_RANK[event.kind];
      if (!view.final) {
        if ((o.rank ?? 0) >= rank || !o.ackMessageId) return;
        try {
          await api.editMessageText(o.chatId, o.ackMessageId, view.headline, {
            reply_markup: keyboard(view.buttons),
          });
        } catch (e) {
          if (!notModified(e))
            this.deps.logger.debug('Telegram progress update skipped', { taskId, err: (e as Error).message });
        }
        await this.deps.origins.patch(taskId, { rank });
        return;
      }
      const parts = taskMessages(view, TELEGRAM_TEXT_LIMIT);
      const key = `sent_${event.kind}` as const;
      try {
        for (let i = o[key] ?? 0; i < parts.length; i++) {
          const markup = i === parts.length - 1 ? keyboard(view.buttons) : undefined;
          await this.send(o, parts[i]!, markup, i === 0);
          await this.deps.origins.patch(taskId, { [key]: i + 1, rank });
        }
      } catch (e) {
        if (!unreachable(e)) throw e; // 429s and network errors: the queue retries
        this.deps.logger.warn('Telegram refused the result message', { taskId, err: (e as Error).message });
      }
    });
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
