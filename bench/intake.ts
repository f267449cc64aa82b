/**
 * `npm run bench:intake`: how fast chat intake acknowledges. Signed Slack slash commands
 * (`/generate …`: Bolt verifies, the core handler resolves the guest identity, rate-limits, and
 * writes the task, its budget reservation and its pg-boss job in one statement, then the ack goes
 * out) and Telegram webhook updates (secret header; the same work plus the first reply sent to a
 * Bot API stub), each from BENCH_CLIENTS (default 50) concurrent clients for BENCH_SECONDS (default
 * 10) — beside a baseline Express route on the same database that only verifies a Slack signature
 * and inserts one row, in the same run, and beside the peer a team might hand-roll instead: a
 * Vercel Chat SDK Slack bot (bench/chatSdkPeer.ts) that dedupes the command in Redis (REDIS_URL,
 * default redis://127.0.0.1:6379) and inserts one row before acking, started here. Ratios are
 * printed against both. The API role runs alone (no worker), so only intake is measured. Every
 * identity sends one command before the measurement (its guest user is made on first contact; that
 * rate is shown separately). Figures only.
 *
 * DATABASE_URL points it at a server; otherwise an embedded PostgreSQL runs in a temporary
 * directory.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import express from 'express';
import pg from 'pg';
import { type Switchyard, startSwitchyard } from '../src/compose.js';
import { parseEnv } from '../src/env.js';
import { createLogger } from '../src/logger.js';
import { chatSdkPeer } from './chatSdkPeer.js';
import { closedLoop, fmt, startBenchServer, summarize } from './lib.js';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = 1;
/** Distinct chat users: keeps every identity under its per-minute limit (set to the maximum below). */
const USERS = 500;
const SECRET = 'bench-slack-signing-secret';
const TG_TOKEN = '424242:bench-telegram-token-abcdefghijklmnopqrstuvwxyz';
const TG_SECRET = 'bench-telegram-secret';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const logger = createLogger({ level: 'error' });

const slackSign = (body: string) => {
  const ts = Math.floor(Date.now() / 1000);
  return {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(ts),
    'x-slack-signature': `v0=${createHmac('sha256', SECRET).update(`v0:${ts}:${body}`).digest('hex')}`,
  };
};

const slashBody = (i: number, tag: string) =>
  new URLSearchParams({
    token: 'legacy',
    team_id: 'TBENCH',
    team_domain: 'bench',
    channel_id: 'CBENCH',
    channel_name: 'bench',
    user_id: `U${i % USERS}`,
    user_name: 'bench',
    command: '/generate',
    text: `Write a short note number ${i}`,
    api_app_id: 'A1',
    response_url: 'http://127.0.0.1:9/never-called',
    trigger_id: `${tag}.${i}.${randomBytes(4).toString('hex')}`,
  }).toString();

let updateId = 1;
const tgUpdate = (i: number) => {
  const id = updateId++;
  const user = 10_000 + (i % USERS);
  const text = `/generate Write a short note number ${i}`;
  return JSON.stringify({
    update_id: id,
    message: {
      message_id: id,
      date: Math.floor(Date.now() / 1000),
      chat: { id: user, type: 'private', first_name: 'Bench' },
      from: { id: user, is_bot: false, first_name: 'Bench' },
      text,
      entities: [{ type: 'bot_command', offset: 0, length: 9 }],
    },
  });
};

/** A Bot API stub: getMe and sendMessage, answered at once. */
async function telegramStub(): Promise<{ url: string; close(): Promise<void> }> {
  let mid = 1;
  const botInfo = {
    id: 424242,
    is_bot: true,
    first_name: 'Bench',
    username: 'bench_bot',
    can_join_groups: true,
    can_read_all_group_messages: false,
    supports_inline_queries: false,
  };
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const result = req.url?.endsWith('/getMe')
        ? botInfo
        : { message_id: mid++, date: 0, chat: { id: 1, type: 'private' } };
      res.end(JSON.stringify({ ok: true, result }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/** The baseline: verify the Slack signature (HMAC, timing-safe, 5-minute window) and insert one row. */
async function baselineServer(databaseUrl: string) {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 20 });
  const app = express();
  app.post('/baseline', express.raw({ type: () => true }), async (req, res) => {
    const raw = req.body as Buffer;
    const ts = Number(req.get('x-slack-request-timestamp'));
    const sig = req.get('x-slack-signature') ?? '';
    const expected = `v0=${createHmac('sha256', SECRET)
      .update(`v0:${ts}:${raw.toString('utf8')}`)
      .digest('hex')}`;
    if (
      !Number.isFinite(ts) ||
      Math.abs(Date.now() / 1000 - ts) > 300 ||
      sig.length !== expected.length ||
      !timingSafeEqual(Buffer.from(sig), Buffer.from(expected))
    ) {
      res.status(401).end();
      return;
    }
    const trigger = new URLSearchParams(raw.toString('utf8')).get('trigger_id') ?? '';
    await pool.query(
      'INSERT INTO inbound_deliveries (source, delivery_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
      ['bench-baseline', trigger],
    );
    res.json({ response_type: 'ephemeral', text: 'ok' });
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/baseline`,
    async close() {
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      await pool.end();
    },
  };
}

/**
 * Warm-up first: one command from every identity (their guest users are created once, on first
 * contact — a one-off cost reported separately), then a short closed loop; then the measured loop.
 */
async function measure(label: string, send: (i: number) => Promise<number>) {
  const call = async (i: number) => {
    const status = await send(i);
    if (status !== 200) throw new Error(`HTTP ${status}`);
  };
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < USERS) await call(next++);
    }),
  );
  const firstContact = USERS / ((performance.now() - t0) / 1000);
  const warm = await closedLoop(CLIENTS, WARMUP_SECONDS * 1000, (i) => call(i + 900_000_000));
  const r = await closedLoop(CLIENTS, SECONDS * 1000, call);
  const acked = USERS + warm.latencies.length + r.latencies.length;
  return {
    label,
    perSecond: r.perSecond,
    ...summarize(r.latencies),
    errors: r.errors + warm.errors,
    firstContact,
    acked,
  };
}

async function start(databaseUrl: string, apiRoot: string): Promise<Switchyard> {
  const env = parseEnv({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: mkdtempSync(path.join(tmpdir(), 'sy-bench-')),
    DATABASE_URL: databaseUrl,
    JWT_SECRET: 'bench-jwt-secret-that-is-long-enough-0123456789',
    ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'),
    LOG_LEVEL: 'error',
    RATE_LIMIT_PER_MINUTE: '100000000',
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: `${apiRoot}/slack/`,
    TELEGRAM_BOT_TOKEN: TG_TOKEN,
    TELEGRAM_WEBHOOK_SECRET: TG_SECRET,
    TELEGRAM_API_ROOT: apiRoot,
  });
  return startSwitchyard({ env, logger, roles: ['api'] });
}

// ---------------------------------------------------------------------------------------------------

const postgres = await startBenchServer(logger);
const adminUrl = postgres.adminUrl;
const dbName = `bench_intake_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
await admin.query(`CREATE DATABASE ${dbName}`);
const u = new URL(adminUrl);
u.pathname = `/${dbName}`;
const databaseUrl = u.toString();

const stub = await telegramStub();
let sy: Switchyard | undefined;
let base: Awaited<ReturnType<typeof baselineServer>> | undefined;
let peer: Awaited<ReturnType<typeof chatSdkPeer>> | undefined;
try {
  sy = await start(databaseUrl, stub.url);
  // Every bench identity may send up to 1000 commands a minute (the setting's maximum).
  await sy.pool.query(
    `INSERT INTO settings (key, value) VALUES ('chat.rateLimitPerMinute', '1000'::jsonb) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
  );
  base = await baselineServer(databaseUrl);
  peer = await chatSdkPeer({
    databaseUrl,
    redisUrl: REDIS_URL,
    signingSecret: SECRET,
    slackApiUrl: `${stub.url}/slack/`,
  });
  const apiUrl = sy.api!.url;
  const baseUrl = base.url;
  const peerUrl = peer.url;

  console.log(
    `bench:intake — ${CLIENTS} concurrent clients × ${SECONDS} s per row (after ${WARMUP_SECONDS} s warm-up), ${USERS} chat identities, ${availableParallelism()} CPUs, ${postgres.label}; API role only (no worker)`,
  );
  const rows = [];
  rows.push(
    await measure('baseline (verify + 1 row)', async (i) => {
      const body = slashBody(i, 'base');
      const r = await fetch(baseUrl, { method: 'POST', body, headers: slackSign(body) });
      await r.arrayBuffer();
      return r.status;
    }),
  );
  rows.push(
    await measure('Chat SDK peer (Redis+1 row)', async (i) => {
      const body = slashBody(i, 'peer');
      const r = await fetch(peerUrl, { method: 'POST', body, headers: slackSign(body) });
      await r.arrayBuffer();
      return r.status;
    }),
  );
  rows.push(
    await measure('slack /generate', async (i) => {
      const body = slashBody(i, 'slack');
      const r = await fetch(`${apiUrl}/api/integrations/slack/events`, {
        method: 'POST',
        body,
        headers: slackSign(body),
      });
      await r.arrayBuffer();
      return r.status;
    }),
  );
  rows.push(
    await measure('telegram /generate', async (i) => {
      const r = await fetch(`${apiUrl}/api/integrations/telegram/webhook`, {
        method: 'POST',
        body: tgUpdate(i),
        headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': TG_SECRET },
      });
      await r.arrayBuffer();
      return r.status;
    }),
  );

  const [baseRow, peerRow] = [rows[0]!, rows[1]!];
  const x = (a: number, b: number) => `${fmt(a / b, 2)}×`;
  console.log(
    `${''.padEnd(28)} ${'acks/s'.padStart(9)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'max ms'.padStart(8)} ${'errors'.padStart(7)} ${'acks/s vs base'.padStart(15)} ${'p99 vs base'.padStart(12)} ${'acks/s vs peer'.padStart(15)} ${'p99 vs peer'.padStart(12)}   first contact`,
  );
  for (const r of rows) {
    console.log(
      `${r.label.padEnd(28)} ${fmt(r.perSecond, 0).padStart(9)} ${fmt(r.p50).padStart(8)} ${fmt(r.p99).padStart(8)} ${fmt(r.max).padStart(8)} ${String(r.errors).padStart(7)} ${x(r.perSecond, baseRow.perSecond).padStart(15)} ${x(r.p99, baseRow.p99).padStart(12)} ${x(r.perSecond, peerRow.perSecond).padStart(15)} ${x(r.p99, peerRow.p99).padStart(12)}   ${r === baseRow ? '—' : `${fmt(r.firstContact, 0)} acks/s`}`,
    );
  }
  console.log(
    'aims (issue 18): Slack/Telegram acks/s ≥ 0.50× base, p99 ≤ 2.00× base; acks/s ≥ 1.00× peer. First contact: Switchyard creates the guest user, the peer fetches users.info (cached in Redis).',
  );
  const [tasks] = (
    await sy.pool.query(
      `SELECT count(*) FILTER (WHERE source = 'slack') AS slack, count(*) FILTER (WHERE source = 'telegram') AS telegram,
              (SELECT count(*) FROM inbound_deliveries WHERE source = 'bench-chat-sdk') AS peer FROM tasks`,
    )
  ).rows as Array<{ slack: string; telegram: string; peer: string }>;
  console.log(
    `checks: Chat SDK peer ${tasks!.peer} rows for ${peerRow.acked} acknowledged commands (${peer.duplicates()} duplicates), Slack ${tasks!.slack} tasks for ${rows[2]!.acked}, Telegram ${tasks!.telegram} for ${rows[3]!.acked} (warm-up included; one each expected)`,
  );
} finally {
  await base?.close();
  await peer?.close();
  await sy?.stop();
  await stub.close();
  await new Promise((r) => setTimeout(r, 500)); // let the pools' sockets close before the database goes
  await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await admin.end();
  await postgres.stop();
}
