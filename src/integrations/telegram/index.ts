import { Api, InputFile } from 'grammy';
import {
  type ChatPlatformInputs,
  type ChatSenders,
  type Integration,
  integrationRoute,
} from '../integration.js';
import {
  createTelegramBot,
  createTelegramWebhookRouter,
  fetchBotInfo,
  startTelegramPolling,
} from './telegramAdapter.js';
import { TelegramDeliverer } from './telegramDeliverer.js';

/**
 * Telegram: on with the bot token; a webhook (API role, needs TELEGRAM_WEBHOOK_SECRET) or long
 * polling (`start`/`stop`, run by the bots role).
 */
export async function telegramIntegration(p: ChatPlatformInputs): Promise<Integration> {
  const { env } = p;
  if (!env.TELEGRAM_BOT_TOKEN) return { name: 'telegram', status: 'telegram off' };
  const token = env.TELEGRAM_BOT_TOKEN;
  const telegramApi = new Api(token, { apiRoot: env.TELEGRAM_API_ROOT, timeoutSeconds: 15 });
  const outbound = {
    senders: telegramSenders(telegramApi),
    deliverer: new TelegramDeliverer({
      origins: p.origins,
      api: telegramApi,
      publicUrl: p.publicUrl,
      logger: p.log,
      live: p.live,
    }),
  };
  if (env.TELEGRAM_MODE === 'webhook') return { name: 'telegram', ...outbound, ...(await webhook(p, token)) };
  let polling: { stop(): Promise<void> } | undefined;
  return {
    name: 'telegram',
    status: `telegram on (polling${p.roles.bots ? '' : ': run the bots role'})`,
    ...outbound,
    async start() {
      polling ??= startTelegramPolling(
        createTelegramBot({ token, apiRoot: env.TELEGRAM_API_ROOT, handler: p.handler, logger: p.logger }),
        p.logger,
      );
    },
    async stop() {
      const running = polling;
      polling = undefined;
      await running?.stop();
    },
  };
}

function telegramSenders(telegramApi: Api): ChatSenders {
  // A private chat's id is the user's id: a DM reaches whoever has started the bot.
  const dm = async (userId: string, text: string) => {
    await telegramApi.sendMessage(userId, text.slice(0, 4096), {
      link_preview_options: { is_disabled: true },
    });
  };
  return {
    dm,
    channel: dm,
    channelImage: async (chatId, image) => {
      await telegramApi.sendPhoto(chatId, new InputFile(image.png, image.filename), {
        caption: image.title.slice(0, 1024),
      });
    },
  };
}

/** Webhook mode: the endpoint (API role) and its status; off without TELEGRAM_WEBHOOK_SECRET. */
async function webhook(
  p: ChatPlatformInputs,
  token: string,
): Promise<Pick<Integration, 'status' | 'rawRoutes'>> {
  const { env } = p;
  if (!env.TELEGRAM_WEBHOOK_SECRET) {
    p.log.error(
      'TELEGRAM_MODE=webhook needs TELEGRAM_WEBHOOK_SECRET (the secret_token registered with setWebhook): the Telegram webhook is off',
    );
    return { status: 'telegram off (webhook mode without TELEGRAM_WEBHOOK_SECRET)' };
  }
  if (!p.roles.api) return { status: 'telegram on (webhook)' };
  const botInfo = await fetchBotInfo(token, env.TELEGRAM_API_ROOT, p.log);
  const bot = createTelegramBot({
    token,
    apiRoot: env.TELEGRAM_API_ROOT,
    botInfo,
    handler: p.handler,
    logger: p.logger,
  });
  return {
    status: 'telegram on (webhook)',
    rawRoutes: [
      integrationRoute(
        '/api/integrations/telegram',
        createTelegramWebhookRouter(bot, env.TELEGRAM_WEBHOOK_SECRET),
        {
          path: '/api/integrations/telegram/webhook',
          summary: 'Telegram updates (webhook)',
          description:
            'Carries X-Telegram-Bot-Api-Secret-Token, the secret registered with `npm run cli -- telegram:set-webhook`.',
          contentType: 'application/json',
        },
      ),
    ],
  };
}
