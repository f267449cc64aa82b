import type pg from 'pg';
import type { RouteFactory } from '../api/deps.js';
import { linkRoutes } from '../api/routes/links.js';
import type { AuditSink } from '../core/audit/audit.js';
import { LinkService } from '../core/linking/linkService.js';
import type { LiveFeed } from '../core/tasks/liveStream.js';
import type { Env } from '../env.js';
import { discordIntegration } from '../integrations/discord/index.js';
import type {
  ChatPlatform,
  ChatPlatformInputs,
  ChatSenders,
  Integration,
} from '../integrations/integration.js';
import { slackIntegration } from '../integrations/slack/index.js';
import { telegramIntegration } from '../integrations/telegram/index.js';
import type { Logger } from '../logger.js';
import { linkStoreInvalidating } from '../models/chatCache.js';
import { createChatOriginStore } from '../models/chatSupportStores.js';
import { createLinkStore } from '../models/linkStore.js';
import { createDirectMessenger } from './directMessages.js';
import { type ChatHandlerInputs, createChatHandler } from './handler.js';

/** What the chat area is built from (see composeChat): the command handler's inputs and these. */
export interface ComposeChatInputs extends ChatHandlerInputs {
  env: Env;
  pool: pg.Pool;
  logger: Logger;
  audit: AuditSink;
  /** Which roles this process runs: endpoints need `api`, polling needs `bots`. */
  roles: { api: boolean; bots: boolean };
  /** Live output of running tasks: Discord, Telegram and (with a bot token) Slack replies are edited as the answer streams. */
  live?: LiveFeed;
}

/**
 * Builds the chat area for the composition root (src/compose.ts): the command handler and account
 * linking (API routes /api/links), and one integration per platform (src/integrations/slack,
 * discord, telegram) — each on only when its credentials are set — with its HTTP endpoint (API
 * role), result deliverer (worker role), outbound senders and, for Telegram, long polling (bots
 * role, TELEGRAM_MODE=polling).
 */
export async function composeChat(c: ComposeChatInputs) {
  const { db, logger } = c;
  const log = logger.child({ scope: 'chat' });
  const linkStore = c.cache ? linkStoreInvalidating(createLinkStore(db), c.cache) : createLinkStore(db);
  const links = new LinkService({ store: linkStore, tasks: c.tasks, audit: c.audit, log });
  const handler = createChatHandler({ ...c, links, log });
  const platforms: ChatPlatformInputs = {
    env: c.env,
    logger,
    log,
    handler,
    origins: createChatOriginStore(db, c.pool),
    publicUrl: c.publicUrl,
    live: c.live,
    roles: c.roles,
  };
  const integrations = [
    slackIntegration(platforms),
    discordIntegration(platforms),
    await telegramIntegration(platforms),
  ];
  const routes: RouteFactory[] = [{ path: '/api', create: (d) => linkRoutes(d, { links }) }];

  return {
    handler,
    links,
    /** Slack, Discord and Telegram, in the banner's order. */
    integrations,
    /** Direct messages to a user's linked chat identities (notifications). */
    directMessages: createDirectMessenger(db, sendersOf(integrations, 'dm')),
    /** Channel posts per configured platform (scheduled reports). */
    channelSenders: sendersOf(integrations, 'channel'),
    /** Image posts per platform that can take them (scheduled reports' charts). */
    channelImageSenders: sendersOf(integrations, 'channelImage'),
    routes,
  };
}

/** One kind of outbound sender, by platform, of the platforms that have it. */
function sendersOf<K extends keyof ChatSenders>(
  integrations: Integration[],
  kind: K,
): Partial<Record<ChatPlatform, NonNullable<ChatSenders[K]>>> {
  const out: Partial<Record<ChatPlatform, NonNullable<ChatSenders[K]>>> = {};
  for (const i of integrations) {
    const send = i.senders?.[kind];
    if (send) out[i.name as ChatPlatform] = send;
  }
  return out;
}
