import { DiscordAPIError, RateLimitError, type REST } from '@discordjs/rest';
import { Routes } from 'discord-api-types/v10';
import { ChatDeliverer, type ChatPlatformPort } from '../../core/commands/chatDeliverer.js';
import type { LiveEditPort } from '../../core/commands/liveEdits.js';
import type { ChatOriginStore } from '../../core/commands/ports.js';
import { type TaskView, taskMessages } from '../../core/commands/taskView.js';
import type { LiveFeed } from '../../core/tasks/liveStream.js';
import type { Logger } from '../../logger.js';
import type { DiscordOrigin } from './discordAdapter.js';
import { components, DISCORD_CONTENT_LIMIT, NO_MENTIONS } from './discordMessages.js';

/** An interaction token works for 15 minutes; stop using it a little before. */
export const INTERACTION_TOKEN_TTL_MS = 15 * 60_000;
const TOKEN_MARGIN_MS = 30_000;
/** Discord: "Unknown Webhook" (the interaction token has expired) and "Invalid Webhook Token". */
const EXPIRED_TOKEN_CODES = new Set([10015, 50027]);

type StoredOrigin = DiscordOrigin & {
  rank?: number;
  tokenExpired?: boolean;
  [sent: `sent_${string}`]: number | undefined;
};

const isExpiredToken = (e: unknown) =>
  e instanceof DiscordAPIError && (EXPIRED_TOKEN_CODES.has(Number(e.code)) || e.status === 404);

interface DiscordDeps {
  origins: ChatOriginStore;
  live?: LiveFeed;
  /** REST client for interaction webhooks (requests made with auth: false). */
  rest: REST;
  /**
   * REST client for live edits, made with `rejectOnRateLimit: true`: a 429 is thrown to the live
   * session (which waits its Retry-After, then sends the latest text) instead of the client sleeping
   * and then sending the stale edit. Without it `rest` is used.
   */
  liveRest?: REST;
  /** REST client with the bot token, for channel messages; absent without DISCORD_BOT_TOKEN. */
  botRest?: REST;
  publicUrl: () => string;
  logger: Logger;
  now?: () => number;
}

type DiscordBody = { content: string; components: unknown; allowed_mentions: typeof NO_MENTIONS };

/** Posts a Discord task's progress and result (see DiscordPort). */
export class DiscordDeliverer extends ChatDeliverer<StoredOrigin, DiscordBody> {
  constructor(deps: DiscordDeps) {
    super(new DiscordPort(deps), deps);
  }
}

/**
 * Discord's part of the chat deliverer (core/commands/chatDeliverer.ts): it edits the deferred
 * response (@original) and adds follow-ups through the interaction webhook (no bot token needed).
 * When the 15-minute interaction token has run out, or Discord says it is unknown (404, code
 * 10015), it posts to the channel with the bot token instead.
 */
export class DiscordPort implements ChatPlatformPort<StoredOrigin, DiscordBody> {
  readonly platform = 'discord' as const;
  readonly label = 'Discord';

  constructor(private readonly deps: DiscordDeps) {}

  private now() {
    return this.deps.now ? this.deps.now() : Date.now();
  }

  private tokenUsable(o: StoredOrigin): boolean {
    return !o.tokenExpired && this.now() - o.interactionAt < INTERACTION_TOKEN_TTL_MS - TOKEN_MARGIN_MS;
  }

  async progress(taskId: string, origin: StoredOrigin, view: TaskView): Promise<boolean> {
    if (!origin.canEdit || !this.tokenUsable(origin)) return false;
    try {
      await this.deps.rest.patch(Routes.webhookMessage(origin.applicationId, origin.token), {
        body: { content: view.headline, components: components(view.buttons), allowed_mentions: NO_MENTIONS },
        auth: false,
      });
      return true;
    } catch (e) {
      if (isExpiredToken(e)) await this.deps.origins.patch(taskId, { tokenExpired: true });
      this.deps.logger.debug('Discord progress update skipped', { taskId, err: (e as Error).message });
      return false;
    }
  }

  /**
   * @original is edited once a second while the answer streams (well inside the webhook's limits);
   * a 429 holds the next edit for its Retry-After (RateLimitError.retryAfter, from liveRest).
   */
  readonly live: LiveEditPort<StoredOrigin> = {
    intervalMs: 1000,
    limit: DISCORD_CONTENT_LIMIT,
    edit: async (_taskId, o, content, view) => {
      if (!o.canEdit || !this.tokenUsable(o)) return;
      await (this.deps.liveRest ?? this.deps.rest).patch(Routes.webhookMessage(o.applicationId, o.token), {
        body: { content, components: components(view.buttons), allowed_mentions: NO_MENTIONS },
        auth: false,
      });
    },
    retryAfterMs: (e) =>
      e instanceof RateLimitError
        ? Math.max(1000, e.retryAfter)
        : e instanceof DiscordAPIError && e.status === 429
          ? 1000
          : undefined,
  };

  messages(view: TaskView): DiscordBody[] {
    const parts = taskMessages(view, DISCORD_CONTENT_LIMIT);
    return parts.map((content, i) => ({
      content,
      components: i === parts.length - 1 ? components(view.buttons) : [],
      allowed_mentions: NO_MENTIONS,
    }));
  }

  post(taskId: string, origin: StoredOrigin, body: DiscordBody, index: number): Promise<void> {
    return this.send(taskId, origin, body, index === 0 && origin.canEdit);
  }

  private async send(
    taskId: string,
    origin: StoredOrigin,
    body: DiscordBody,
    editOriginal: boolean,
  ): Promise<void> {
    if (this.tokenUsable(origin)) {
      try {
        if (editOriginal)
          await this.deps.rest.patch(Routes.webhookMessage(origin.applicationId, origin.token), {
            body,
            auth: false,
          });
        else
          await this.deps.rest.post(Routes.webhook(origin.applicationId, origin.token), {
            body,
            auth: false,
          });
        return;
      } catch (e) {
        if (!isExpiredToken(e)) throw e;
        origin.tokenExpired = true;
        await this.deps.origins.patch(taskId, { tokenExpired: true });
        this.deps.logger.info('Discord interaction token expired; posting to the channel instead', {
          taskId,
        });
      }
    }
    if (!this.deps.botRest || !origin.channelId) {
      this.deps.logger.warn(
        'Discord result could not be delivered: the interaction token expired and there is no bot token or channel',
        { taskId },
      );
      return;
    }
    try {
      await this.deps.botRest.post(Routes.channelMessages(origin.channelId), { body });
    } catch (e) {
      // 403/404: the bot cannot see or write to that channel; a retry would get the same answer.
      if (e instanceof DiscordAPIError && (e.status === 403 || e.status === 404)) {
        this.deps.logger.warn('Discord refused the channel message', {
          taskId,
          status: e.status,
          code: e.code,
        });
        return;
      }
      throw e;
    }
  }
}
