/**
 * `npm run bench:stream`: time to the first visible token, against the provider's own.
 *
 * An OpenAI-compatible stub in this process streams each answer (first chunk after FIRST_MS, then a
 * chunk every 20 ms) and notes when it wrote the first chunk. Switchyard (API + worker, one
 * process) routes every task to it. Measured, on the same clock:
 *   (a) SSE   first `delta` on GET /api/tasks/:id/events, opened right after submitting
 *   (b) chat  first Telegram editMessageText showing answer text (a Bot API stub in this process),
 *             for /generate sent to the Telegram webhook
 * and reported as the time added after the stub's first chunk (aim: under 50 ms).
 * BENCH_TASKS (default 20) tasks per path, one after another. Figures only.
 * DATABASE_URL points it at a server; otherwise an embedded PostgreSQL runs in a temporary directory.
 */
import { chmodSync, mkdtempSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Switchyard, startSwitchyard } from '../src/compose.js';
import { parseEnv } from '../src/env.js';
import { createLogger } from '../src/logger.js';
import { createDatabase, fmt, summarize } from './lib.js';

const N = Number(process.env.BENCH_TASKS ?? 20);
const FIRST_MS = 150;
const TG_TOKEN = '123456:BENCH-telegram-token-abcdefghijklmnopqrstuv';
const TG_SECRET = 'bench-secret';
const logger = createLogger({ level: 'error' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The provider stub's first-chunk times (performance.now), in request order. */
const firstChunks: number[] = [];
/** Telegram edits that show answer text, with their arrival time. */
const liveEdits: number[] = [];

function chunk(content: string | null, finish: string | null, usage?: object) {
  const c = {
    id: 'chatcmpl-bench',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'gpt-4o-mini',
    choices:
      content === null && !finish
        ? []
        : [{ index: 0, delta: content ? { content } : {}, finish_reason: finish }],
    ...(usage ? { usage } : {}),
  };
  return `data: ${JSON.stringify(c)}\n\n`;
}

async function openai(res: http.ServerResponse) {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  await sleep(FIRST_MS);
  for (let i = 0; i < 20; i++) {
    if (i === 0) firstChunks.push(performance.now());
    res.write(chunk(`word${i} `, null));
    await sleep(20);
  }
  res.write(chunk(null, 'stop'));
  res.write(chunk(null, null, { prompt_tokens: 9, completion_tokens: 20, total_tokens: 29 }));
  res.end('data: [DONE]\n\n');
}

function telegram(method: string, body: any, res: http.ServerResponse) {
  const ok = (result: unknown) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: true, result }));
  };
  if (method === 'getMe')
    return ok({ id: 1, is_bot: true, first_name: 'Bench', username: 'bench_bot', can_join_groups: true });
  if (method === 'sendMessage' || method === 'editMessageText') {
    if (method === 'editMessageText' && /word0/.test(body.text)) liveEdits.push(performance.now());
    return ok({
      message_id: body.message_id ?? 5000 + liveEdits.length,
      date: 1,
      chat: { id: body.chat_id, type: 'private' },
      text: body.text,
    });
  }
  return ok(true);
}

async function startStub(): Promise<string> {
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      if (req.url?.endsWith('/chat/completions')) return void openai(res);
      const method = req.url?.split('/').pop() ?? '';
      telegram(method, raw ? JSON.parse(raw) : {}, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  server.unref();
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function json(url: string, init: RequestInit & { token?: string } = {}): Promise<any> {
  const res = await fetch(url, {
    ...init,
    headers: {
      'content-type': 'application/json',
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
    },
  });
  const body = await res.json();
  if (!res.ok) throw new Error(`${url}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

async function setUp(url: string, stubUrl: string): Promise<string> {
  const admin = await json(`${url}/api/auth/login`, {
    method: 'POST',
    body: JSON.stringify({ username: 'admin', password: 'admin-password-1' }),
  });
  const p = await json(`${url}/api/providers`, {
    method: 'POST',
    token: admin.accessToken,
    body: JSON.stringify({
      name: 'stub',
      kind: 'openai_compatible',
      apiEndpoint: `${stubUrl}/v1`,
      models: ['gpt-4o-mini'],
      defaultModel: 'gpt-4o-mini',
      competencies: Object.fromEntries(
        ['article', 'summary', 'social_post', 'code', 'research', 'translation'].map((t) => [t, 0.9]),
      ),
    }),
  });
  await json(`${url}/api/providers/${p.id}/accounts`, {
    method: 'POST',
    token: admin.accessToken,
    body: JSON.stringify({
      accountName: 'bench',
      tokenLimit: 1_000_000_000_000,
      credentials: { apiKey: 'sk-bench' },
    }),
  });
  return admin.accessToken;
}

/** Opens the task's event stream; resolves with the time of the first delta. */
async function firstDelta(url: string, token: string, taskId: string): Promise<number> {
  const res = await fetch(`${url}/api/tasks/${taskId}/events`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const decoder = new TextDecoder();
  let buf = '';
  let first = Number.NaN;
  for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(c, { stream: true });
    if (Number.isNaN(first) && buf.includes('event: delta')) first = performance.now();
    if (buf.includes('event: done') || buf.includes('event: error')) break;
  }
  return first;
}

async function main() {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sy-bench-stream-'));
  chmodSync(dataDir, 0o755);
  const scratch = process.env.DATABASE_URL
    ? await createDatabase(process.env.DATABASE_URL, 'bench_stream')
    : undefined;
  const stubUrl = await startStub();
  let sy: Switchyard | undefined;
  try {
    const env = parseEnv({
      NODE_ENV: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      DATABASE_URL: scratch?.url,
      JWT_SECRET: 'bench-jwt-secret-that-is-long-enough-0123456789',
      ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'),
      ADMIN_USERNAME: 'admin',
      ADMIN_EMAIL: 'admin@example.com',
      ADMIN_PASSWORD: 'admin-password-1',
      LOG_LEVEL: 'error',
      MOCK_PROVIDER: 'off',
      RATE_LIMIT_PER_MINUTE: '100000000',
      AUTH_RATE_LIMIT_PER_MINUTE: '100000000',
      TELEGRAM_BOT_TOKEN: TG_TOKEN,
      TELEGRAM_WEBHOOK_SECRET: TG_SECRET,
      TELEGRAM_API_ROOT: stubUrl,
    });
    sy = await startSwitchyard({ env, logger, roles: ['api', 'worker'] });
    const url = sy.api!.url;
    const token = await setUp(url, stubUrl);

    const sse: number[] = [];
    for (let i = 0; i < N; i++) {
      const before = firstChunks.length;
      const task = await json(`${url}/api/tasks`, {
        method: 'POST',
        token,
        body: JSON.stringify({ description: `Bench stream ${i}`, taskType: 'article' }),
      });
      const seen = await firstDelta(url, token, task.id);
      sse.push(seen - firstChunks[before]!);
    }

    const chat: number[] = [];
    for (let i = 0; i < N; i++) {
      const before = firstChunks.length;
      const edits = liveEdits.length;
      await fetch(`${url}/api/integrations/telegram/webhook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': TG_SECRET },
        body: JSON.stringify({
          update_id: 1000 + i,
          message: {
            message_id: 100 + i,
            date: Math.floor(Date.now() / 1000),
            chat: { id: 777, type: 'private', first_name: 'B' },
            from: { id: 777, is_bot: false, first_name: 'B' },
            text: `/generate Bench chat ${i}`,
            entities: [{ type: 'bot_command', offset: 0, length: 9 }],
          },
        }),
      });
      const until = performance.now() + 10_000;
      while (liveEdits.length === edits && performance.now() < until) await sleep(2);
      if (liveEdits.length > edits && firstChunks.length > before)
        chat.push(liveEdits[edits]! - firstChunks[before]!);
      await sleep(1200); // let the result land before the next one
    }

    const row = (label: string, s: number[]) => {
      const v = summarize(s);
      console.log(
        `  ${label.padEnd(44)} n ${String(v.n).padStart(3)}  p50 ${fmt(v.p50).padStart(7)}  p99 ${fmt(v.p99).padStart(7)}  max ${fmt(v.max).padStart(7)} ms`,
      );
    };
    console.log(
      `bench:stream — ${N} tasks per path; provider stub: first chunk after ${FIRST_MS} ms, then every 20 ms`,
    );
    console.log('time added after the provider stub wrote its first chunk:');
    row('SSE: first delta on /api/tasks/:id/events', sse);
    row('chat: first Telegram edit showing text', chat);
  } finally {
    await sy?.stop();
    await scratch?.drop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
