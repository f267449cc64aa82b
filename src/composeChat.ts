import type pg from 'pg';
import type { RouteFactory } from './api/deps.js';
import { linkRoutes } from './api/routes/links.js';
import { createDirectMessenger } from './composeChat/directMessages.js';
import { type ChatEstimate, createChatHandler } from './composeChat/handler.js';
import type { AuditSink } from './core/audit/audit.js';
import type { ChatApprovals } from './core/commands/handler.js';
import type { ChatCollab, ShareLinks } from './core/commands/ports.js';
import { LinkService } from './core/linking/linkService.js';
import type { SettingsStore } from './core/settings/settings.js';
import type { LiveFeed } from './core/tasks/liveStream.js';
import type { TaskCommands } from './core/tasks/types.js';
import type { Env } from './env.js';
import { discordIntegration } from './integrations/discord/index.js';
import type {
  ChatPlatform,
  ChatPlatformInputs,
  ChatSenders,
  Integration,
} from './integrations/integration.js';
import { slackIntegration } from './integrations/slack/index.js';
import { telegramIntegration } from './integrations/telegram/index.js';
import type { Logger } from './logger.js';
import { createChatOriginStore } from './models/chatSupportStores.js';
import type { Db } from './models/db.js';
import { createLinkStore } from './models/linkStore.js';

export { PENDING_RUN_TTL_MS } from './composeChat/handler.js';
export type { ChannelImageSender } from './integrations/integration.js';

/** What the chat area is built from (see composeChat). */
export interface ComposeChatInputs {
  env: Env;
  db: Db;
  pool: pg.Pool;
  logger: Logger;
  audit: AuditSink;
  settings: SettingsStore;
  tasks: TaskCommands;
  publicUrl: () => string;
  /** Share links for `share` (the content area's ContentService.shareLinks()); without them `share` points to the portal. */
  shares?: ShareLinks;
  /** `comment` and `approve` (the collaboration area); without them they point to the portal. */
  collab?: ChatCollab;
  /** Approve/Reject buttons on tasks held by an `approve` budget (spend control's TaskApprovals). */
  approvals?: ChatApprovals;
  /**
   * Estimate before running (spend control's quote with the user's confirm threshold): a `generate`
   * above it waits for Run/Cancel.
   */
  estimate?: ChatEstimate;
  /** The team a chat workspace is attached to (TeamService.teamForWorkspace). */
  teamForWorkspace?: (
    platform: 'slack' | 'discord' | 'telegram',
    externalId: string,
  ) => Promise<string | null>;
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
  const links = new LinkService({ store: createLinkStore(db), tasks: c.tasks, audit: c.audit, log });
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
