import { REST } from '@discordjs/rest';
import { webApi } from '@slack/bolt';
import { Routes } from 'discord-api-types/v10';
import { Api } from 'grammy';
import type pg from 'pg';
import { z } from 'zod';
import type { ApiDeps, RouteFactory } from './api/deps.js';
import { linkRoutes } from './api/routes/links.js';
import { createDiscordRouter } from './bots/discord/discordAdapter.js';
import { DiscordDeliverer } from './bots/discord/discordDeliverer.js';
import { boltLogger, createSlackRouter } from './bots/slack/slackAdapter.js';
import { SlackDeliverer } from './bots/slack/slackDeliverer.js';
import {
  createTelegramBot,
  createTelegramWebhookRouter,
  fetchBotInfo,
  startTelegramPolling,
} from './bots/telegram/telegramAdapter.js';
import { TelegramDeliverer } from './bots/telegram/telegramDeliverer.js';
import type { AuditSink } from './core/audit/audit.js';
import type { DirectMessenger } from './core/collab/ports.js';
import { type ChatApprovals, ChatCommandHandler } from './core/commands/handler.js';
import type { ChatCollab, ShareLinks } from './core/commands/ports.js';
import { LinkService } from './core/linking/linkService.js';
import type { SettingsStore } from './core/settings/settings.js';
import type { ResultDelivererRegistry } from './core/tasks/deliverers.js';
import type { LiveFeed } from './core/tasks/liveStream.js';
import type { TaskCommands } from './core/tasks/types.js';
import type { Env } from './env.js';
import type { Logger } from './logger.js';
import { createChatIdentityStore } from './models/chatIdentityStore.js';
import {
  createChatOriginStore,
  createChatProviderDirectory,
  createContentLookup,
  createDeliveryLedger,
  createRateLimiter,
} from './models/chatSupportStores.js';
import type { Db } from './models/db.js';
import { createLinkedIdentityLookup, type DmPlatform } from './models/linkedIdentities.js';
import { createLinkStore } from './models/linkStore.js';

/** The signature-verified endpoints in the OpenAPI document (they bypass the zod route builder). */
function describeIntegration(
  deps: ApiDeps,
  path: string,
  summary: string,
  description: string,
  contentType: string,
) {
  deps.openapi.registerPath({
    method: 'post',
    path,
    summary,
    description,
    tags: ['Inbound integrations'],
    security: [],
    request: { body: { content: { [contentType]: { schema: z.object({}).passthrough() } }, required: true } },
    responses: {
      200: { description: 'Acknowledged (the platform-specific answer)' },
      401: { description: 'Signature, timestamp or secret token missing or wrong' },
    },
  });
}

/**
 * Builds the chat area for the composition root (src/compose.ts): the command handler and account
 * linking (API routes /api/links), and per platform — each on only when its credentials are set —
 * the HTTP endpoints (API role), the result deliverer (worker role) and Telegram long polling
 * (bots role, TELEGRAM_MODE=polling).
 */
export async function composeChat(c: {
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
  /** The team a chat workspace is attached to (TeamService.teamForWorkspace). */
  teamForWorkspace?: (
    platform: 'slack' | 'discord' | 'telegram',
    externalId: string,
  ) => Promise<string | null>;
  /** Which roles this process runs: endpoints need `api`, polling needs `bots`. */
  roles: { api: boolean; bots: boolean };
  /** Live output of running tasks: Discord, Telegram and (with a bot token) Slack replies are edited as the answer streams. */
  live?: LiveFeed;
}) {
  const { env, db, logger } = c;
  const log = logger.child({ scope: 'chat' });
  const links = new LinkService({ store: createLinkStore(db), tasks: c.tasks, audit: c.audit, log });
  const handler = new ChatCommandHandler({
    tasks: c.tasks,
    identities: createChatIdentityStore(db),
    links,
    rateLimiter: createRateLimiter(db),
    ledger: createDeliveryLedger(db),
    settings: c.settings,
    providers: createChatProviderDirectory(db),
    content: createContentLookup(db),
    ...(c.shares ? { shares: c.shares } : {}),
    ...(c.collab ? { collab: c.collab } : {}),
    ...(c.approvals ? { approvals: c.approvals } : {}),
    publicUrl: c.publicUrl,
    log,
    defaultTaskType: 'article',
    ...(c.teamForWorkspace ? { teamForWorkspace: c.teamForWorkspace } : {}),
  });
  const origins = createChatOriginStore(db, c.pool);

  const routes: RouteFactory[] = [{ path: '/api', create: (d) => linkRoutes(d, { links }) }];
  const rawRoutes: RouteFactory[] = [];
  const status: string[] = [];
  const stoppers: Array<() => Promise<void>> = [];
  /** Direct messages per platform, for notifications (mentions, review requests). */
  const dmSenders: Partial<Record<DmPlatform, (platformUserId: string, text: string) => Promise<void>>> = {};
  /** Posts to a channel per platform, for scheduled reports. */
  const channelSenders: Partial<Record<DmPlatform, (channel: string, text: string) => Promise<void>>> = {};

  // Slack: on with a signing secret. The bot token adds chat.postMessage (results after response_url runs out, mentions).
  if (env.SLACK_SIGNING_SECRET) {
    const signingSecret = env.SLACK_SIGNING_SECRET;
    if (c.roles.api) {
      const router = createSlackRouter({
        signingSecret,
        botToken: env.SLACK_BOT_TOKEN,
        apiUrl: env.SLACK_API_URL,
        handler,
        logger,
      });
      rawRoutes.push({
        path: '/api/integrations/slack',
        create: (d) => {
          describeIntegration(
            d,
            '/api/integrations/slack/events',
            'Slack slash commands, interactivity and events (Bolt request URL)',
            'Signed with the signing secret (X-Slack-Signature, X-Slack-Request-Timestamp within 5 minutes either way).',
            'application/x-www-form-urlencoded',
          );
          return router;
        },
      });
    }
    const web = env.SLACK_BOT_TOKEN
      ? new webApi.WebClient(env.SLACK_BOT_TOKEN, {
          slackApiUrl: env.SLACK_API_URL,
          retryConfig: { retries: 0 },
          rejectRateLimitedCalls: true,
          timeout: 10_000,
          logger: boltLogger(logger),
        })
      : undefined;
    // With the bot token, replies are also edited live (chat.postMessage, then chat.update) as the answer streams.
    c.deliverers.register(
      new SlackDeliverer({ origins, web, publicUrl: c.publicUrl, logger: log, live: c.live }),
    );
    if (web) {
      // A user id as the channel opens (or reuses) the app's DM with that user.
      dmSenders.slack = async (userId, text) => {
        await web.chat.postMessage({ channel: userId, text, unfurl_links: false });
      };
      channelSenders.slack = dmSenders.slack;
    }
    status.push(
      `slack on${env.SLACK_BOT_TOKEN ? '' : ' (no SLACK_BOT_TOKEN: results only through response_url)'}`,
    );
  } else status.push('slack off');

  // Discord: on with the application's public key. The bot token adds channel messages after the 15-minute token.
  if (env.DISCORD_PUBLIC_KEY) {
    if (c.roles.api) {
      const router = createDiscordRouter({ publicKey: env.DISCORD_PUBLIC_KEY, handler, logger });
      rawRoutes.push({
        path: '/api/integrations/discord',
        create: (d) => {
          describeIntegration(
            d,
            '/api/integrations/discord/interactions',
            'Discord interactions (commands and buttons)',
            'Ed25519 over timestamp + raw body (X-Signature-Ed25519, X-Signature-Timestamp within 5 minutes).',
            'application/json',
          );
          return router;
        },
      });
    }
    const rest = new REST({ api: env.DISCORD_API_URL, version: '10', retries: 0, timeout: 10_000 });
    const botRest = env.DISCORD_BOT_TOKEN
      ? new REST({ api: env.DISCORD_API_URL, version: '10', retries: 0, timeout: 10_000 }).setToken(
          env.DISCORD_BOT_TOKEN,
        )
      : undefined;
    // Live edits learn of a 429 (and wait its Retry-After) instead of the client retrying a stale edit.
    const liveRest = new REST({
      api: env.DISCORD_API_URL,
      version: '10',
      retries: 0,
      timeout: 10_000,
      rejectOnRateLimit: () => true,
    });
    c.deliverers.register(
      new DiscordDeliverer({
        origins,
        rest,
        liveRest,
        botRest,
        publicUrl: c.publicUrl,
        logger: log,
        live: c.live,
      }),
    );
    if (botRest) {
      dmSenders.discord = async (userId, text) => {
        const channel = (await botRest.post(Routes.userChannels(), { body: { recipient_id: userId } })) as {
          id: string;
        };
        await botRest.post(Routes.channelMessages(channel.id), {
          body: { content: text.slice(0, 2000), allowed_mentions: { parse: [] } },
        });
      };
      channelSenders.discord = async (channelId, text) => {
        await botRest.post(Routes.channelMessages(channelId), {
          body: { content: text.slice(0, 2000), allowed_mentions: { parse: [] } },
        });
      };
    }
    status.push(
      `discord on${env.DISCORD_BOT_TOKEN ? '' : ' (no DISCORD_BOT_TOKEN: no results after 15 minutes)'}`,
    );
  } else status.push('discord off');

  // Telegram: on with the bot token; a webhook (API role, needs TELEGRAM_WEBHOOK_SECRET) or long polling (bots role).
  let startBots = async () => {};
  if (env.TELEGRAM_BOT_TOKEN) {
    const token = env.TELEGRAM_BOT_TOKEN;
    const telegramApi = new Api(token, { apiRoot: env.TELEGRAM_API_ROOT, timeoutSeconds: 15 });
    // A private chat's id is the user's id: a DM reaches whoever has started the bot.
    dmSenders.telegram = async (userId, text) => {
      await telegramApi.sendMessage(userId, text.slice(0, 4096), {
        link_preview_options: { is_disabled: true },
      });
    };
    channelSenders.telegram = dmSenders.telegram;
    c.deliverers.register(
      new TelegramDeliverer({
        origins,
        api: telegramApi,
        publicUrl: c.publicUrl,
        logger: log,
        live: c.live,
      }),
    );
    if (env.TELEGRAM_MODE === 'webhook') {
      if (!env.TELEGRAM_WEBHOOK_SECRET) {
        log.error(
          'TELEGRAM_MODE=webhook needs TELEGRAM_WEBHOOK_SECRET (the secret_token registered with setWebhook): the Telegram webhook is off',
        );
        status.push('telegram off (webhook mode without TELEGRAM_WEBHOOK_SECRET)');
      } else {
        if (c.roles.api) {
          const botInfo = await fetchBotInfo(token, env.TELEGRAM_API_ROOT, log);
          const bot = createTelegramBot({ token, apiRoot: env.TELEGRAM_API_ROOT, botInfo, handler, logger });
          const router = createTelegramWebhookRouter(bot, env.TELEGRAM_WEBHOOK_SECRET);
          rawRoutes.push({
            path: '/api/integrations/telegram',
            create: (d) => {
              describeIntegration(
                d,
                '/api/integrations/telegram/webhook',
                'Telegram updates (webhook)',
                'Carries X-Telegram-Bot-Api-Secret-Token, the secret registered with `npm run cli -- telegram:set-webhook`.',
                'application/json',
              );
              return router;
            },
          });
        }
        status.push('telegram on (webhook)');
      }
    } else {
      startBots = async () => {
        const polling = startTelegramPolling(
          createTelegramBot({ token, apiRoot: env.TELEGRAM_API_ROOT, handler, logger }),
          logger,
        );
        stoppers.push(() => polling.stop());
      };
      status.push(`telegram on (polling${c.roles.bots ? '' : ': run the bots role'})`);
    }
  } else status.push('telegram off');

  const linkedIdentities = createLinkedIdentityLookup(db);
  const directMessages: DirectMessenger = {
    async send(userId, text) {
      const failures: string[] = [];
      for (const id of await linkedIdentities(userId)) {
        const send = dmSenders[id.platform];
        if (!send) continue;
        try {
          await send(id.platformUserId, text);
        } catch (e) {
          failures.push(`${id.platform}: ${(e as Error).message}`);
        }
      }
      if (failures.length) throw new Error(failures.join('; '));
    },
  };

  return {
    handler,
    links,
    /** Direct messages to a user's linked chat identities (notifications). */
    directMessages,
    /** Channel posts per configured platform (scheduled reports). */
    channelSenders,
    routes,
    rawRoutes,
    /** The bots role: background parts (Telegram long polling). */
    async startBots() {
      await startBots();
      return {
        async stop() {
          for (const s of stoppers.reverse()) await s();
        },
      };
    },
    banner: status.join(', '),
  };
}
