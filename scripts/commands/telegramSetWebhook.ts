import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { parseEnv } from '../../src/env.js';
import {
  deleteTelegramWebhook,
  setTelegramWebhook,
  TELEGRAM_WEBHOOK_PATH,
} from '../../src/integrations/telegram/telegramWebhookSetup.js';

export function register(program: Command): void {
  program
    .command('telegram:set-webhook')
    .description(
      `Point the Telegram bot at this deployment: PUBLIC_URL${TELEGRAM_WEBHOOK_PATH}, with TELEGRAM_WEBHOOK_SECRET as its secret token`,
    )
    .option('--url <url>', 'the public webhook URL (default: PUBLIC_URL + the webhook path)')
    .option('--drop-pending', 'discard updates Telegram queued while no webhook was set')
    .option('--delete', 'remove the webhook instead (needed before TELEGRAM_MODE=polling)')
    .addHelpText(
      'after',
      '\nNeeds TELEGRAM_BOT_TOKEN, and for setting: TELEGRAM_WEBHOOK_SECRET and PUBLIC_URL (or --url). Telegram only calls https URLs.',
    )
    .action(async (o: { url?: string; dropPending?: boolean; delete?: boolean }) => {
      if (existsSync('.env')) process.loadEnvFile('.env');
      const env = parseEnv();
      if (!env.TELEGRAM_BOT_TOKEN) throw new Error('TELEGRAM_BOT_TOKEN is not set');
      if (o.delete) {
        await deleteTelegramWebhook({
          token: env.TELEGRAM_BOT_TOKEN,
          apiRoot: env.TELEGRAM_API_ROOT,
          dropPendingUpdates: o.dropPending,
        });
        process.stdout.write('Telegram webhook removed\n');
        return;
      }
      if (!env.TELEGRAM_WEBHOOK_SECRET)
        throw new Error(
          'TELEGRAM_WEBHOOK_SECRET is not set: choose a random string (A-Z, a-z, 0-9, _ and -, up to 256 characters)',
        );
      const url = o.url ?? (env.PUBLIC_URL ? `${env.PUBLIC_URL}${TELEGRAM_WEBHOOK_PATH}` : undefined);
      if (!url) throw new Error('Set PUBLIC_URL or pass --url');
      const info = await setTelegramWebhook({
        token: env.TELEGRAM_BOT_TOKEN,
        apiRoot: env.TELEGRAM_API_ROOT,
        url,
        secretToken: env.TELEGRAM_WEBHOOK_SECRET,
        dropPendingUpdates: o.dropPending,
      });
      process.stdout.write(
        `Telegram webhook set: ${info.url || url}${info.pending_update_count ? ` (${info.pending_update_count} updates pending)` : ''}\n`,
      );
    });
}
