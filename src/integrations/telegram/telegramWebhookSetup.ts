import { Api } from 'grammy';
import { ALLOWED_UPDATES } from './telegramAdapter.js';

export const TELEGRAM_WEBHOOK_PATH = '/api/integrations/telegram/webhook';

/** Registers our webhook URL and its secret token with Telegram (`telegram:set-webhook`). */
export async function setTelegramWebhook(opts: {
  token: string;
  apiRoot: string;
  url: string;
  secretToken: string;
  dropPendingUpdates?: boolean;
}) {
  const api = new Api(opts.token, { apiRoot: opts.apiRoot, timeoutSeconds: 15 });
  await api.setWebhook(opts.url, {
    secret_token: opts.secretToken,
    allowed_updates: [...ALLOWED_UPDATES],
    drop_pending_updates: opts.dropPendingUpdates ?? false,
  });
  return api.getWebhookInfo();
}

/** Removes the webhook, e.g. before switching to TELEGRAM_MODE=polling. */
export async function deleteTelegramWebhook(opts: {
  token: string;
  apiRoot: string;
  dropPendingUpdates?: boolean;
}) {
  await new Api(opts.token, { apiRoot: opts.apiRoot, timeoutSeconds: 15 }).deleteWebhook({
    drop_pending_updates: opts.dropPendingUpdates ?? false,
  });
}
