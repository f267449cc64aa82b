import type pg from 'pg';
import type { RouteFactory } from './api/deps.js';
import { linkRoutes } from './api/routes/links.js';
import { createDirectMessenger } from './composeChat/directMessages.js';
import { wireDiscord } from './composeChat/discord.js';
import { type ChatEstimate, createChatHandler } from './composeChat/handler.js';
import { wireSlack } from './composeChat/slack.js';
import { wireTelegram } from './composeChat/telegram.js';
import { emptyWiring, type PlatformInputs } from './composeChat/wiring.js';
import type { AuditSink } from './core/audit/audit.js';
import type { ChatApprovals } from './core/commands/handler.js';
import type { ChatCollab, ShareLinks } from './core/commands/ports.js';
import { LinkService } from './core/linking/linkService.js';
import type { SettingsStore } from './core/settings/settings.js';
import type { ResultDelivererRegistry } from './core/tasks/deliverers.js';
import type { LiveFeed } from './core/tasks/liveStream.js';
import type { TaskCommands } from './core/tasks/types.js';
import type { Env } from './env.js';
import type { Logger } from './logger.js';
import { createChatOriginStore } from './models/chatSupportStores.js';
import type { Db } from './models/db.js';
import { createLinkStore } from './models/linkStore.js';

export { PENDING_RUN_TTL_MS } from './composeChat/handler.js';
export type { ChannelImageSender } from './composeChat/wiring.js';

/** What the chat area is built from (see composeChat). */
export interface ComposeChatInputs {
  env: Env;
  db: Db;
  pool: pg.Pool;
  logger: Logger;
  audit: AuditSink;
  settings: SettingsStore;
  tasks: TaskCommands;
  deliverers: ResultDelivererRegistry;
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
 * linking (API routes /api/links), and per platform — each on only when its credentials are set —
 * the HTTP endpoints (API role), the result deliverer (worker role) and Telegram long polling
 * (bots role, TELEGRAM_MODE=polling). The platforms are wired in src/composeChat/.
 */
export async function composeChat(c: ComposeChatInputs) {
  const { db, logger } = c;
  const log = logger.child({ scope: 'chat' });
  const links = new LinkService({ store: createLinkStore(db), tasks: c.tasks, audit: c.audit, log });
  const handler = createChatHandler({ ...c, links, log });
  const platforms: PlatformInputs = {
    env: c.env,
    logger,
    log,
    handler,
    origins: createChatOriginStore(db, c.pool),
    deliverers: c.deliverers,
    publicUrl: c.publicUrl,
    live: c.live,
    roles: c.roles,
  };
  const w = emptyWiring();
  wireSlack(platforms, w);
  wireDiscord(platforms, w);
  const startBots = await wireTelegram(platforms, w);
  const routes: RouteFactory[] = [{ path: '/api', create: (d) => linkRoutes(d, { links }) }];

  return {
    handler,
    links,
    /** Direct messages to a user's linked chat identities (notifications). */
    directMessages: createDirectMessenger(db, w.dmSenders),
    /** Channel posts per configured platform (scheduled reports). */
    channelSenders: w.channelSenders,
    /** Image posts per platform that can take them (scheduled reports' charts). */
    channelImageSenders: w.channelImageSenders,
    routes,
    rawRoutes: w.rawRoutes,
    /** The bots role: background parts (Telegram long polling). */
    async startBots() {
      await startBots();
      return {
        async stop() {
          for (const s of w.stoppers.reverse()) await s();
        },
      };
    },
    banner: w.status.join(', '),
  };
}
