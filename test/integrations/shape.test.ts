import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { describe, expect, it } from 'vitest';
import type { ApiDeps } from '../../src/api/deps.js';
import { parseEnv } from '../../src/env.js';
import { discordIntegration } from '../../src/integrations/discord/index.js';
import { githubIntegration } from '../../src/integrations/github/index.js';
import { hooksIntegration } from '../../src/integrations/hooks/index.js';
import { type ChatPlatformInputs, statusLine } from '../../src/integrations/integration.js';
import { slackIntegration } from '../../src/integrations/slack/index.js';
import { telegramIntegration } from '../../src/integrations/telegram/index.js';
import { createLogger } from '../../src/logger.js';

// One shape for every integration (issue 12): what the start-up reads from each — routes, deliverer,
// senders, status, start/stop — without a database or a network call.
const logger = createLogger({ level: 'error' });
const env = (vars: Record<string, string>) => parseEnv({ NODE_ENV: 'test', ...vars });
const chat = (vars: Record<string, string>, roles = { api: true, bots: true }): ChatPlatformInputs => ({
  env: env(vars),
  logger,
  log: logger,
  handler: {} as never,
  origins: {} as never,
  publicUrl: () => 'https://sy.example',
  roles,
});
const github = (vars: Record<string, string>) =>
  githubIntegration({
    env: env(vars),
    tasks: {} as never,
    identities: {} as never,
    ledger: {} as never,
    requireLinkedAccount: async () => false,
    publicUrl: () => 'https://sy.example',
    log: logger,
  });

describe('integrations: one shape', () => {
  it('without credentials each is off, says so, and mounts, delivers and sends nothing', async () => {
    const all = [
      slackIntegration(chat({})),
      discordIntegration(chat({})),
      await telegramIntegration(chat({})),
      github({}),
    ];
    expect(all.map((i) => [i.name, i.status])).toEqual([
      ['slack', 'slack off'],
      ['discord', 'discord off'],
      ['telegram', 'telegram off'],
      ['github', 'github off'],
    ]);
    for (const i of all) {
      expect(i.rawRoutes ?? []).toEqual([]);
      expect(i.deliverer).toBeUndefined();
      expect(i.senders).toBeUndefined();
      expect(i.start).toBeUndefined();
    }
    expect(statusLine(all.slice(0, 3))).toBe('slack off, discord off, telegram off');
  });

  it('with credentials: the endpoint in the API role only, a deliverer for its task source, senders with a bot token', () => {
    const vars = { SLACK_SIGNING_SECRET: 'sig', SLACK_BOT_TOKEN: 'xoxb-1' };
    const api = slackIntegration(chat(vars));
    expect(api.rawRoutes?.map((r) => r.path)).toEqual(['/api/integrations/slack']);
    expect(api.deliverer?.source).toBe('slack');
    expect(Object.keys(api.senders ?? {}).sort()).toEqual(['channel', 'channelImage', 'dm']);
    expect(api.status).toBe('slack on');
    const workerOnly = slackIntegration(chat(vars, { api: false, bots: false }));
    expect(workerOnly.rawRoutes).toBeUndefined();
    expect(workerOnly.deliverer?.source).toBe('slack');

    const noBot = slackIntegration(chat({ SLACK_SIGNING_SECRET: 'sig' }));
    expect(noBot.senders).toBeUndefined();
    expect(noBot.status).toBe('slack on (no SLACK_BOT_TOKEN: results only through response_url)');
  });

  it('Telegram polling is what start/stop run (the bots role); stop before start is harmless', async () => {
    const t = await telegramIntegration(chat({ TELEGRAM_BOT_TOKEN: '123:abc', TELEGRAM_MODE: 'polling' }));
    expect(t.status).toBe('telegram on (polling)');
    expect(t.rawRoutes).toBeUndefined();
    expect(t.deliverer?.source).toBe('telegram');
    expect(typeof t.start).toBe('function');
    await expect(t.stop?.()).resolves.toBeUndefined();
  });

  it('GitHub: the intake route with the secret; the deliverer only with GITHUB_TOKEN', () => {
    const intakeOnly = github({ GITHUB_WEBHOOK_SECRET: 'ghs' });
    expect(intakeOnly.rawRoutes?.map((r) => r.path)).toEqual(['/api/webhooks/github']);
    expect(intakeOnly.deliverer).toBeUndefined();
    expect(intakeOnly.status).toBe('github on (no GITHUB_TOKEN: results not posted)');
    const both = github({ GITHUB_WEBHOOK_SECRET: 'ghs', GITHUB_TOKEN: 'ghp_1' });
    expect(both.deliverer?.source).toBe('github');
    expect(both.status).toBe('github on');
  });

  it('each documents its own signed endpoint in the OpenAPI document when mounted', () => {
    const documented = (i: ReturnType<typeof github>) => {
      const openapi = new OpenAPIRegistry();
      for (const r of i.rawRoutes ?? []) r.create({ openapi } as ApiDeps);
      return openapi.definitions.flatMap((d) => (d.type === 'route' ? [d.route.path] : []));
    };
    expect(documented(github({ GITHUB_WEBHOOK_SECRET: 'ghs' }))).toEqual(['/api/webhooks/github']);
    expect(documented(github({}))).toEqual([]);
    const hooks = hooksIntegration({
      hooks: {} as never,
      store: {} as never,
      tasks: {} as never,
      masterKey: Buffer.alloc(32),
      allowPrivate: false,
    });
    expect(documented(hooks)).toEqual(['/api/webhooks/in/{hookId}']);
  });

  it('no integration imports the route modules of src/api/routes', () => {
    const root = path.resolve(import.meta.dirname, '../../src/integrations');
    const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(20);
    const offenders = files.filter((f) =>
      /from '(\.\.\/)+api\/routes\//.test(readFileSync(path.join(root, f), 'utf8')),
    );
    expect(offenders).toEqual([]);
  });
});
