import { generateKeyPairSync, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, startTestApp, type TestApp } from '../helpers/app.js';

// Every bucket (per principal, per address, per raw route and address) allows this many a minute.
const LIMIT = 6;
let app: TestApp;
let setupIp = 0;
/** A fresh client address for setup calls (the app trusts X-Forwarded-For from loopback only). */
const freshIp = () => `192.0.2.${++setupIp}`;

beforeAll(async () => {
  const ed = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' });
  app = await startTestApp({
    roles: ['api'],
    env: {
      RATE_LIMIT_PER_MINUTE: String(LIMIT),
      SLACK_SIGNING_SECRET: 'slack-signing-secret-for-rate-tests',
      DISCORD_PUBLIC_KEY: ed.subarray(-32).toString('hex'),
      DISCORD_APPLICATION_ID: '1234567890',
      GITHUB_WEBHOOK_SECRET: 'gh-secret-for-rate-tests',
      METRICS_TOKEN: undefined,
    },
  });
});
afterAll(async () => {
  await app?.close();
});

/** Registers a user from its own address, so setup spends no bucket the test looks at. */
async function user() {
  const ip = freshIp();
  const c = client(app.url);
  const name = `rl${randomUUID().slice(0, 8)}`;
  const r = await c.post(
    '/api/auth/register',
    { username: name, email: `${name}@example.com`, password: 'password-123' },
    { 'x-forwarded-for': ip },
  );
  expect(r.status, r.text).toBe(201);
  return r.body as { accessToken: string; user: { id: string } };
}

const from = (ip: string, token?: string) => ({
  get: (p: string) => client(app.url, token).get(p, { 'x-forwarded-for': ip }),
});

async function statuses(n: number, call: () => Promise<{ status: number }>) {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await call()).status);
  return out;
}

describe('API rate limits: per verified principal, anonymous per address', () => {
  it('one token spending its budget does not stop colleagues behind the same NAT', async () => {
    const nat = '198.51.100.7';
    const [a, b] = [await user(), await user()];
    expect(await statuses(LIMIT, () => from(nat, a.accessToken).get('/api/tasks'))).toEqual(
      Array(LIMIT).fill(200),
    );
    const limited = await from(nat, a.accessToken).get('/api/tasks');
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Same address, other principal: its own budget.
    expect((await from(nat, b.accessToken).get('/api/tasks')).status).toBe(200);
    // Same address, anonymous: the address's budget, untouched by the token's requests.
    expect((await from(nat).get('/api/openapi.json')).status).toBe(200);
  });

  it('a personal API token has its own budget, apart from its user’s session', async () => {
    const u = await user();
    const t = await client(app.url, u.accessToken).post(
      '/api/auth/tokens',
      { name: 'ci' },
      { 'x-forwarded-for': freshIp() },
    );
    expect(t.status, t.text).toBe(201);
    const ip = freshIp();
    expect(await statuses(LIMIT, () => from(ip, t.body.token).get('/api/tasks'))).toEqual(
      Array(LIMIT).fill(200),
    );
    expect((await from(ip, t.body.token).get('/api/tasks')).status).toBe(429);
    expect((await from(ip, u.accessToken).get('/api/tasks')).status).toBe(200);
  });

  it('an unverified token gets no bucket of its own: bad credentials count against the address', async () => {
    const ip = '198.51.100.20';
    const bad = (i: number) => from(ip, `forged.${i}.token`).get('/api/tasks');
    const seen = [];
    for (let i = 0; i < LIMIT; i++) seen.push((await bad(i)).status);
    expect(seen).toEqual(Array(LIMIT).fill(401));
    // A new forged token each time changes nothing: the address is spent.
    const next = await bad(999);
    expect(next.status).toBe(429);
    expect((await from(ip).get('/api/openapi.json')).status).toBe(429);
    // A real principal from that address still gets through.
    const ok = await user();
    expect((await from(ip, ok.accessToken).get('/api/tasks')).status).toBe(200);
  });
});

describe('raw platform routes: their own limit per route and address, before the body is read', () => {
  const post = (path: string, ip: string, body = '{}', headers: Record<string, string> = {}) =>
    fetch(`${app.url}${path}`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'x-forwarded-for': ip, ...headers },
    });

  it('junk at one integration is cut off with 429 without touching the API or other integrations', async () => {
    const ip = '198.51.100.30';
    const hookUrl = `/api/webhooks/in/${randomUUID()}`;
    const seen = [];
    for (let i = 0; i < LIMIT; i++) seen.push((await post(hookUrl, ip)).status);
    expect(seen).toEqual(Array(LIMIT).fill(404));
    const limited = await post(hookUrl, ip);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBeTruthy();
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
    // Other integrations, and the API, have buckets of their own.
    expect((await post('/api/webhooks/github', ip, '{}', { 'x-github-event': 'star' })).status).toBe(200);
    expect((await from(ip).get('/api/openapi.json')).status).toBe(200);
  });

  it('the raw limit holds for Slack, Discord and Manus too', async () => {
    for (const path of [
      '/api/integrations/slack/events',
      '/api/integrations/discord/interactions',
      '/api/integrations/manus/webhook',
    ]) {
      const ip = freshIp();
      const seen = [];
      for (let i = 0; i <= LIMIT; i++) seen.push((await post(path, ip)).status);
      expect(
        seen.slice(0, LIMIT).every((s) => s === 401 || s === 400),
        `${path}: ${seen}`,
      ).toBe(true);
      expect(seen[LIMIT], path).toBe(429);
    }
  });
});

/** Sends only the headers of a POST declaring `length` bytes, and returns the answer that comes back. */
function declareBig(path: string, length: number, headers: Record<string, string>) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(`${app.url}${path}`, {
      method: 'POST',
      agent: false,
      headers: {
        'content-type': 'application/json',
        'content-length': String(length),
        'x-forwarded-for': freshIp(),
        ...headers,
      },
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body });
        req.destroy();
      });
    });
    req.on('error', reject);
    req.write('{"x":"'); // a first few bytes, then nothing: the server must answer without the rest
  });
}

describe('raw routes never buffer an unbounded body before verifying it', () => {
  it('answers 413 from the declared length alone, above each route’s documented limit', async () => {
    const cases: Array<[string, number, Record<string, string>]> = [
      [`/api/webhooks/in/${randomUUID()}`, 256 * 1024 + 1, {}],
      ['/api/integrations/slack/events', 1024 * 1024 + 1, {}],
      [
        '/api/webhooks/github',
        25 * 1024 * 1024 + 1,
        { 'x-github-event': 'issue_comment', 'x-github-delivery': randomUUID() },
      ],
    ];
    for (const [path, length, headers] of cases) {
      const r = await declareBig(path, length, headers);
      expect(r.status, path).toBe(413);
      // Slack's route answers as Bolt does (an empty 413); ours carry the API error shape.
      if (!path.includes('slack')) expect(JSON.parse(r.body).error.code, path).toBe('payload_too_large');
    }
  });

  it('cuts off a body sent without a length (chunked) at the limit: Discord, inbound hooks', async () => {
    for (const [path, size] of [
      ['/api/integrations/discord/interactions', 1024 * 1024 + 1],
      [`/api/webhooks/in/${randomUUID()}`, 256 * 1024 + 1],
    ] as const) {
      const big = new Blob([`{"x":"${'a'.repeat(size)}"}`]).stream();
      const r = await fetch(`${app.url}${path}`, {
        method: 'POST',
        body: big,
        duplex: 'half',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': freshIp() },
      } as RequestInit);
      expect(r.status, path).toBe(413);
    }
  });

  it('refuses an unsigned Manus delivery, and GitHub events it does not handle, without reading the body', async () => {
    const manus = await declareBig('/api/integrations/manus/webhook', 1024 * 1024 + 1, {});
    expect(manus.status).toBe(401);
    const push = await declareBig('/api/webhooks/github', 20 * 1024 * 1024, {
      'x-github-event': 'push',
      'x-github-delivery': randomUUID(),
    });
    expect(push.status).toBe(200);
    expect(JSON.parse(push.body)).toMatchObject({ ok: true, ignored: expect.stringContaining('push') });
  });
});

describe('/metrics without METRICS_TOKEN', () => {
  /** Makes the next connection to the app look as if it came from `address` (its socket's peer). */
  function nextConnectionFrom(address: string) {
    const server = app.sy.api!.server;
    const onConnection = (socket: Socket) => {
      Object.defineProperty(socket, 'remoteAddress', { value: address, configurable: true });
      server.off('connection', onConnection);
    };
    server.on('connection', onConnection);
  }
  const get = (headers: Record<string, string> = {}) =>
    new Promise<number>((resolve, reject) => {
      const req = http.request(`${app.url}/metrics`, { agent: false, headers }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });

  it('is open to this machine only: loopback yes, a remote peer no, whatever X-Forwarded-For says', async () => {
    expect(await get()).toBe(200);
    nextConnectionFrom('203.0.113.9');
    expect(await get()).toBe(403);
    nextConnectionFrom('203.0.113.9');
    expect(await get({ 'x-forwarded-for': '127.0.0.1' })).toBe(403);
    // Through a reverse proxy on this machine, every visitor would look local: refused as well.
    expect(await get({ 'x-forwarded-for': '203.0.113.10' })).toBe(403);
    const body = await client(app.url).get('/metrics', { 'x-forwarded-for': '203.0.113.10' });
    expect(body.body.error.code).toBe('forbidden');
  });
});
