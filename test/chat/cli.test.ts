import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StubServer, sendJson, startStubServer } from '../helpers/stubServer.js';
import { DISCORD_APP_ID, TELEGRAM_TOKEN, telegramCalls, telegramStubHandler } from './helpers.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

/** `npm run cli -- <args>` as a real process, with only the variables given (plus PATH). */
function cli(args: string[], env: Record<string, string>) {
  return run(process.execPath, ['--import', 'tsx', 'scripts/cli.ts', ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_LEVEL: 'error', ...env },
    timeout: 60_000,
  });
}

describe('chat CLI commands (real processes against stub APIs)', () => {
  let discord: StubServer;
  let telegram: StubServer;

  beforeAll(async () => {
    discord = await startStubServer((r, res) => {
      if (r.method === 'PUT') return sendJson(res, 200, r.json());
    });
    telegram = await startStubServer((r, res) => {
      if (r.path.endsWith('/getWebhookInfo'))
        return sendJson(res, 200, {
          ok: true,
          result: {
            url: 'https://sy.example/api/integrations/telegram/webhook',
            pending_update_count: 0,
            has_custom_certificate: false,
          },
        });
      return telegramStubHandler()(r, res);
    });
  });
  afterAll(async () => {
    await discord?.close();
    await telegram?.close();
  });

  it('discord:register overwrites the application commands of API.md with the bot token', async () => {
    const out = await cli(['discord:register', '--guild', 'G1'], {
      DISCORD_APPLICATION_ID: DISCORD_APP_ID,
      DISCORD_BOT_TOKEN: 'bot-token-cli-test-0123456789',
      DISCORD_API_URL: `${discord.url}/api`,
    });
    expect(out.stdout).toContain('Registered 10 Discord commands in guild G1');
    const put = discord.requests[0]!;
    expect(put.method).toBe('PUT');
    expect(put.path).toBe(`/api/v10/applications/${DISCORD_APP_ID}/guilds/G1/commands`);
    expect(put.headers.authorization).toBe('Bot bot-token-cli-test-0123456789');
    const commands = put.json() as Array<{
      name: string;
      options: Array<{ name: string; required: boolean }>;
    }>;
    expect(commands.map((c) => c.name)).toEqual([
      'generate',
      'status',
      'cancel',
      'tasks',
      'share',
      'comment',
      'approve',
      'link',
      'providers',
      'help',
    ]);
    expect(commands[0]!.options.map((o) => [o.name, o.required])).toEqual([
      ['prompt', true],
      ['type', false],
      ['priority', false],
      ['provider', false],
    ]);
  });

  it('telegram:set-webhook registers PUBLIC_URL’s webhook path with the secret token', async () => {
    const out = await cli(['telegram:set-webhook'], {
      TELEGRAM_BOT_TOKEN: TELEGRAM_TOKEN,
      TELEGRAM_WEBHOOK_SECRET: 'cli-secret',
      TELEGRAM_API_ROOT: telegram.url,
      PUBLIC_URL: 'https://sy.example',
    });
    expect(out.stdout).toContain(
      'Telegram webhook set: https://sy.example/api/integrations/telegram/webhook',
    );
    expect(telegramCalls(telegram, 'setWebhook')[0]!.json()).toMatchObject({
      url: 'https://sy.example/api/integrations/telegram/webhook',
      secret_token: 'cli-secret',
      allowed_updates: ['message', 'callback_query'],
    });
  });
});
