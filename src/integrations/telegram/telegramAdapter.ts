import express, { Router } from 'express';
import { Api, Bot, type Context, webhookCallback } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import { safeEqual } from '../../core/auth/secrets.js';
import { commandName, type ParseResult, parseCommand } from '../../core/commands/grammar.js';
import type { ChatCommandHandler, OriginSource } from '../../core/commands/handler.js';
import type { ChatIdentityKey } from '../../core/commands/ports.js';
import { type ChatReply, decodeButton } from '../../core/commands/reply.js';
import type { Logger } from '../../logger.js';
import { clip, keyboard } from './telegramMessages.js';
import {
  groupNotice,
  isGroupChat,
  type PrivateOutcome,
  sendPrivately,
  type TelegramAsker,
} from './telegramPrivate.js';

/** Where a Telegram task's progress and result go (stored as the task's origin). */
export interface TelegramOrigin {
  platform: 'telegram';
  chatId: number;
  /** The user's message the result replies to. */
  replyTo: number | null;
  /** Our first reply, edited with progress and then the result. */
  ackMessageId: number | null;
  threadId?: number;
}

export interface TelegramBotOptions {
  token: string;
  apiRoot: string;
  handler: ChatCommandHandler;
  logger: Logger;
  /** Known bot identity (webhook mode: so getMe is never called per request). Omit in polling mode. */
  botInfo?: UserFromGetMe;
}

export const ALLOWED_UPDATES = ['message', 'callback_query'] as const;

/** A minimal identity from the token alone (`<bot id>:<secret>`), when getMe could not be reached. */
export function fallbackBotInfo(token: string): UserFromGetMe {
  return {
    id: Number(token.split(':')[0]) || 0,
    is_bot: true,
    first_name: 'Switchyard',
    username: '',
    can_join_groups: true,
    can_read_all_group_messages: false,
    supports_inline_queries: false,
    can_connect_to_business: false,
    has_main_web_app: false,
    has_topics_enabled: false,
    allows_users_to_create_topics: false,
    can_manage_bots: false,
    supports_join_request_queries: false,
  };
}

/** One getMe at start-up (bounded), so webhook requests never trigger it; falls back to the token's id. */
export async function fetchBotInfo(
  token: string,
  apiRoot: string,
  logger: Logger,
  timeoutMs = 5_000,
): Promise<UserFromGetMe> {
  try {
    return await new Api(token, { apiRoot, timeoutSeconds: Math.ceil(timeoutMs / 1000) }).getMe(
      AbortSignal.timeout(timeoutMs) as never,
    );
  } catch (e) {
    logger.warn(
      'Telegram getMe failed at start-up; commands addressed as /cmd@botname in groups are accepted for any name until a restart',
      {
        err: (e as Error).message,
      },
    );
    return fallbackBotInfo(token);
  }
}

const identityOf = (from: { id: number; username?: string; first_name: string }): ChatIdentityKey => ({
  platform: 'telegram',
  workspaceId: '',
  platformUserId: String(from.id),
  displayName: from.username ?? from.first_name,
});

const COMMAND = /^\/([A-Za-z0-9_]+)(?:@([A-Za-z0-9_]+))?(?:\s+([\s\S]*))?$/;

/**
 * The text of a message as one of our commands, or null when it is not for us: in groups only
 * commands (and only ours — `/cmd@otherbot` and unknown bare commands belong to other bots); in a
 * private chat any text.
 */
export function commandText(text: string, chatType: string, botUsername: string): string | null {
  const m = COMMAND.exec(text.trim());
  if (m) {
    const addressed = m[2];
    if (addressed && botUsername && addressed.toLowerCase() !== botUsername.toLowerCase()) return null;
    if (!commandName(m[1]!) && chatType !== 'private' && !addressed) return null;
    return `${m[1]} ${m[3] ?? ''}`;
  }
  return chatType === 'private' ? text : null;
}

const ackText = (parsed: ParseResult) => {
  if (parsed.ok && parsed.command.name === 'generate') {
    const p = parsed.command.prompt.replace(/\s+/g, ' ');
    return `⏳ On it: “${p.length > 60 ? `${p.slice(0, 59)}…` : p}”. I’ll post the result here.`;
  }
  return '⏳ On it…';
};

/**
 * The grammY bot: messages become core commands, inline-keyboard presses become actions. A command
 * that starts a task first sends a short reply (whose message id goes into the task's origin so
 * progress and the result can edit it), then the task is submitted; nothing waits for generation.
 */
export function createTelegramBot(opts: TelegramBotOptions): Bot {
  const log = opts.logger.child({ component: 'telegram' });
  const bot = new Bot(opts.token, {
    ...(opts.botInfo ? { botInfo: opts.botInfo } : {}),
    client: { apiRoot: opts.apiRoot, timeoutSeconds: 15 },
  });

  /** Sends the first reply when a task is about to be made; its id is kept in the origin. */
  const ackFirst = (
    ctx: Context,
    chatId: number,
    replyTo: number | null,
    text: string,
    threadId?: number,
  ) => {
    const state: { ackId?: number } = {};
    const origin: OriginSource = async () => {
      try {
        const sent = await ctx.api.sendMessage(chatId, text, {
          ...(replyTo
            ? { reply_parameters: { message_id: replyTo, allow_sending_without_reply: true } }
            : {}),
          ...(threadId ? { message_thread_id: threadId } : {}),
        });
        state.ackId = sent.message_id;
      } catch (e) {
        log.warn('Telegram acknowledgement could not be sent; the result will be a new message', {
          err: (e as Error).message,
        });
      }
      const o: TelegramOrigin = {
        platform: 'telegram',
        chatId,
        replyTo,
        ackMessageId: state.ackId ?? null,
        ...(threadId ? { threadId } : {}),
      };
      return { ...o };
    };
    return { origin, state };
  };

  /**
   * A private reply asked for in a group goes to the asker's private chat; the group only hears that
   * it was sent (or that the asker must start a chat with the bot first). Returns the group's text.
   */
  const privately = async (ctx: Context, asker: TelegramAsker, reply: ChatReply): Promise<string> => {
    let outcome: PrivateOutcome;
    try {
      outcome = await sendPrivately(ctx.api, asker, reply);
    } catch (e) {
      log.warn('Telegram private reply could not be sent', { err: (e as Error).message });
      outcome = 'failed';
    }
    return groupNotice(outcome, asker, ctx.me.username);
  };

  /** After the handler: fix up the acknowledgement, or send the reply. Never throws (the update is handled). */
  const finish = async (
    ctx: Context,
    chat: { id: number; type: string },
    asker: TelegramAsker,
    replyTo: number | null,
    reply: ChatReply,
    ackId: number | undefined,
    threadId?: number,
  ) => {
    const chatId = chat.id;
    try {
      if (reply.duplicate) {
        if (ackId !== undefined) await ctx.api.deleteMessage(chatId, ackId);
        return;
      }
      // Progress and the result will edit the acknowledgement (a task awaiting approval shows its buttons first).
      if (ackId !== undefined && reply.taskCreated && !reply.awaitingApproval) return;
      const inGroup = reply.private === true && isGroupChat(chat.type);
      const text = inGroup ? await privately(ctx, asker, reply) : clip(reply.text);
      const buttons = inGroup ? undefined : reply.buttons;
      if (ackId !== undefined) {
        await ctx.api.editMessageText(chatId, ackId, text, { reply_markup: keyboard(buttons) });
        return;
      }
      await ctx.api.sendMessage(chatId, text, {
        ...(buttons?.length ? { reply_markup: keyboard(buttons) } : {}),
        ...(replyTo ? { reply_parameters: { message_id: replyTo, allow_sending_without_reply: true } } : {}),
        ...(threadId ? { message_thread_id: threadId } : {}),
        link_preview_options: { is_disabled: true },
      });
    } catch (e) {
      log.warn('Telegram reply could not be sent', { err: (e as Error).message });
    }
  };

  bot.on('message:text', async (ctx) => {
    const msg = ctx.message;
    const text = commandText(msg.text, msg.chat.type, ctx.me.username);
    if (text === null || !msg.from || msg.from.is_bot) return;
    const parsed = parseCommand(text);
    const threadId = msg.is_topic_message ? msg.message_thread_id : undefined;
    const { origin, state } = ackFirst(ctx, msg.chat.id, msg.message_id, ackText(parsed), threadId);
    const reply = await opts.handler.handle({
      identity: identityOf(msg.from),
      parsed,
      delivery: { source: 'telegram', id: `${ctx.me.id}:${ctx.update.update_id}` },
      origin,
      workspace: String(msg.chat.id),
    });
    await finish(ctx, msg.chat, msg.from, msg.message_id, reply, state.ackId, threadId);
  });

  bot.on('callback_query:data', async (ctx) => {
    const cq = ctx.callbackQuery;
    const b = decodeButton(cq.data);
    if (!b) {
      await ctx.answerCallbackQuery().catch(() => {});
      return;
    }
    const msg = cq.message;
    const chatId = msg?.chat.id ?? cq.from.id;
    const replyTo = msg?.message_id ?? null;
    const running = b.action === 'run';
    const { origin, state } = ackFirst(ctx, chatId, replyTo, running ? '⏳ On it…' : '🔁 Regenerating…');
    const reply = await opts.handler.handleAction({
      identity: identityOf(cq.from),
      action: b.action,
      taskId: b.taskId,
      delivery: { source: 'telegram', id: `${ctx.me.id}:${ctx.update.update_id}` },
      origin,
    });
    // A short private answer fits the toast; anything longer (a share link) becomes a message.
    const toast = reply.taskCreated
      ? running
        ? 'Running…'
        : 'Regenerating…'
      : reply.text.length <= 190 && !/https?:\/\//.test(reply.text)
        ? reply.text
        : undefined;
    await ctx.answerCallbackQuery(toast ? { text: toast } : undefined).catch(() => {});
    if (toast && state.ackId === undefined) return;
    await finish(ctx, msg?.chat ?? { id: chatId, type: 'private' }, cq.from, replyTo, reply, state.ackId);
  });

  return bot;
}

/**
 * Largest update body read. Telegram publishes no size for webhook updates; the text they carry is
 * bounded (message text 4096 characters, captions 1024, files by file_id), so 1 MB is ample.
 */
export const TELEGRAM_BODY_LIMIT = '1mb';

/**
 * The webhook route: the secret token header is checked (401 otherwise) before the body is read
 * and before any handler runs.
 */
export function createTelegramWebhookRouter(bot: Bot, secretToken: string): Router {
  const router = Router();
  router.post(
    '/webhook',
    (req, res, next) => {
      if (!safeEqual(req.get('x-telegram-bot-api-secret-token') ?? '', secretToken)) {
        res.status(401).type('text/plain').send('secret token is wrong');
        return;
      }
      next();
    },
    express.json({ limit: TELEGRAM_BODY_LIMIT, type: () => true }),
    webhookCallback(bot, 'express', { secretToken, onTimeout: 'return', timeoutMilliseconds: 9_000 }),
  );
  return router;
}

/** Long polling for local use without a public URL (the bots role). */
export function startTelegramPolling(bot: Bot, logger: Logger): { stop(): Promise<void> } {
  const log = logger.child({ component: 'telegram' });
  bot.catch((err) =>
    log.error('Telegram update failed', {
      err: err.error instanceof Error ? err.error.message : String(err.error),
    }),
  );
  void bot
    .start({
      allowed_updates: [...ALLOWED_UPDATES],
      onStart: (me) => log.info(`Telegram long polling started as @${me.username}`),
    })
    .catch((e) => log.error('Telegram long polling stopped', { err: (e as Error).message }));
  return { stop: () => bot.stop() };
}
