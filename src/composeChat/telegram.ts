import { Api, InputFile } from 'grammy';
import {
  createTelegramBot,
  createTelegramWebhookRouter,
  fetchBotInfo,
  startTelegramPolling,
} from '../bots/telegram/telegramAdapter.js';
import { TelegramDeliverer } from '../bots/telegram/telegramDeliverer.js';
import { type ChatWiring, integrationRoute, type PlatformInputs } from './wiring.js';

/**
 * Telegram: on with the bot token; a webhook (API role, needs TELEGRAM_WEBHOOK_SECRET) or long
 * polling (bots role). Returns what the bots role starts (polling; nothing in webhook mode).
 */
export async function wireTelegram(p: PlatformInputs, w: ChatWiring): Promise<() => Promise<void>> {
  const { env } = p;
  const noBots = async () => {};
  if (!env.TELEGRAM_BOT_TOKEN) {
    w.status.push('telegram off');
    return noBots;
  }
  const token = env.TELEGRAM_BOT_TOKEN;
  const telegramApi = new Api(token, { apiRoot: env.TELEGRAM_API_ROOT, timeoutSeconds: 15 });
  addTelegramSenders(telegramApi, w);
  p.deliverers.register(
    new TelegramDeliverer({
      origins: p.origins,
      api: telegramApi,
      publicUrl: p.publicUrl,
      logger: p.log,
      live: p.live,
    }),
  );
  if (env.TELEGRAM_MODE === 'webhook') {
    await wireTelegramWebhook(p, token, w);
    return noBots;
  }
  w.status.push(`telegram on (polling${p.roles.bots ? '' : ': run the bots role'})`);
  return async () => {
    const polling = startTelegramPolling(
      createTelegramBot({ token, apiRoot: env.TELEGRAM_API_ROOT, handler: p.handler, logger: p.logger }),
      p.logger,
    );
    w.stoppers.push(() => polling.stop());
  };
}

function addTelegramSenders(telegramApi: Api, w: ChatWiring): void {
  // A private chat's id is the user's id: a DM reaches whoever has started the bot.
  w.dmSenders.telegram = async (userId, text) => {
    await telegramApi.sendMessage(userId, text.slice(0, 4096), {
      link_preview_options: { is_disabled: true },
    });
  };
  w.channelSenders.telegram = w.dmSenders.telegram;
  w.channelImageSenders.telegram = async (chatId, image) => {
    await telegramApi.sendPhoto(chatId, new InputFile(image.png, image.filename), {
      caption: image.title.slice(0, 1024),
    });
  };
}

async function wireTelegramWebhook(p: PlatformInputs, token: string, w: ChatWiring): Promise<void> {
  const { env } = p;
  if (!env.TELEGRAM_WEBHOOK_SECRET) {
    p.log.error(
      'TELEGRAM_MODE=webhook needs TELEGRAM_WEBHOOK_SECRET (the secret_token registered with setWebhook): the Telegram webhook is off',
    );
    w.status.push('telegram off (webhook mode without TELEGRAM_WEBHOOK_SECRET)');
    return;
  }
  if (p.roles.api) {
    const botInfo = await fetchBotInfo(token, env.TELEGRAM_API_ROOT, p.log);
    const bot = createTelegramBot({
      token,
      apiRoot: env.TELEGRAM_API_ROOT,
      botInfo,
      handler: p.handler,
      logger: p.logger,
    });
    w.rawRoutes.push(
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
    );
  }
  w.status.push('telegram on (webhook)');
}
