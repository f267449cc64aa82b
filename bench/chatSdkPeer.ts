/**
 * The peer a team might hand-roll instead of Switchyard, for bench/intake.ts: a Slack bot built with
 * the Vercel Chat SDK (`chat` + `@chat-adapter/slack`, Redis state via `@chat-adapter/state-redis`).
 * Its slash-command handler claims the command's trigger_id in Redis (`setIfNotExists`, 10-minute
 * TTL, the SDK's own dedupe window) and inserts one PostgreSQL row; the HTTP answer (the ack) goes
 * out only after the handler has finished — the SDK hands the handler to `waitUntil`, which is
 * awaited here before responding. Signature verification and the user lookup (users.info, cached in
 * Redis by the adapter) are the SDK's. Runs in the benchmark's process, like the other rows.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSlackAdapter } from '@chat-adapter/slack';
import { createRedisState } from '@chat-adapter/state-redis';
import { Chat, ConsoleLogger } from 'chat';
import pg from 'pg';

export async function chatSdkPeer(opts: {
  databaseUrl: string;
  redisUrl: string;
  signingSecret: string;
  /** Slack Web API root (a stub on 127.0.0.1), ending in a slash. */
  slackApiUrl: string;
}) {
  const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 20 });
  const logger = new ConsoleLogger('error');
  const keyPrefix = `bench-chat-sdk-${randomBytes(4).toString('hex')}`;
  const state = createRedisState({ url: opts.redisUrl, keyPrefix, logger });
  const bot = new Chat({
    userName: 'bench',
    logger,
    state,
    adapters: {
      slack: createSlackAdapter({
        botToken: 'xoxb-bench-token',
        signingSecret: opts.signingSecret,
        apiUrl: opts.slackApiUrl,
        logger,
      }),
    },
  });
  let duplicates = 0;
  bot.onSlashCommand('/generate', async (event) => {
    const raw = event.raw as Record<string, string>;
    const triggerId = event.triggerId ?? '';
    const claimed = await state.setIfNotExists(`dedupe:slack:command:${triggerId}`, 1, 600_000);
    if (!claimed) {
      duplicates++;
      return;
    }
    await pool.query(
      'INSERT INTO inbound_deliveries (source, delivery_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
      ['bench-chat-sdk', `${raw.team_id}:${triggerId}`],
    );
  });
  await bot.initialize();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      try {
        const headers = new Headers();
        for (const [k, v] of Object.entries(req.headers)) {
          if (typeof v === 'string') headers.set(k, v);
        }
        const request = new Request(`http://127.0.0.1${req.url}`, {
          method: req.method,
          headers,
          body: Buffer.concat(chunks),
        });
        const pending: Promise<unknown>[] = [];
        const response = await bot.webhooks.slack(request, {
          waitUntil: (task) => {
            pending.push(task);
          },
          // A failed insert must not be acknowledged: the handler's error reaches the awaited task.
          propagateHandlerErrors: true,
        });
        await Promise.all(pending);
        res.writeHead(response.status, Object.fromEntries(response.headers));
        res.end(Buffer.from(await response.arrayBuffer()));
      } catch {
        res.writeHead(500).end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/webhooks/slack`,
    duplicates: () => duplicates,
    async close() {
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      await bot.shutdown();
      await pool.end();
    },
  };
}
