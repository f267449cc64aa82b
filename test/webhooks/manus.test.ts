import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import type { Server } from 'node:http';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorHandler } from '../../src/api/errorHandler.js';
import { manusEvents } from '../../src/core/providers/connectors/manus.js';
import { manusPublicKeySource, manusWebhookRoutes } from '../../src/integrations/manus/manusRoutes.js';
import { createLogger } from '../../src/logger.js';
import { loginAdmin, startTestApp } from '../helpers/app.js';
import { type StubServer, sendJson, startStubServer } from '../helpers/stubServer.js';

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
let manusApi: StubServer;
let server: Server;
let base: string;

beforeAll(async () => {
  // A stub Manus API serving its webhook public key.
  manusApi = await startStubServer((req, res) =>
    req.path === '/v2/webhook.publicKey'
      ? sendJson(res, 200, { ok: true, data: { public_key: pem } })
      : sendJson(res, 404, {}),
  );
  const keys = manusPublicKeySource(async () => ({ baseUrl: manusApi.url, apiKey: 'manus-key' }));
  const app = express();
  const logger = createLogger({ level: 'silent' });
  app.use(
    '/api/integrations/manus',
    manusWebhookRoutes({ logger, publicUrl: () => 'https://sy.example.com', publicKey: keys }),
  );
  app.use(errorHandler(logger));
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const addr = server.address() as { port: number };
  base = `http://127.0.0.1:${addr.port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  server.close();
  await manusApi.close();
});

function signed(
  body: string,
  ts = Math.floor(Date.now() / 1000),
  url = 'https://sy.example.com/api/integrations/manus/webhook',
) {
  const hash = createHash('sha256').update(body).digest('hex');
  const signature = sign('sha256', Buffer.from(`${ts}.${url}.${hash}`), privateKey).toString('base64');
  return {
    'content-type': 'application/json',
    'x-webhook-signature': signature,
    'x-webhook-timestamp': String(ts),
  };
}

const post = (body: string, headers: Record<string, string>) =>
  fetch(`${base}/api/integrations/manus/webhook`, { method: 'POST', body, headers });

describe('Manus webhooks', () => {
  it('a verified delivery wakes the poller of that Manus task; the key is fetched with the API key and cached', async () => {
    const watch = manusEvents.watch('mt-123');
    const body = JSON.stringify({
      event_type: 'task_stopped',
      task_detail: { task_id: 'mt-123', stop_reason: 'finish' },
    });
    const woke = watch.next();
    const r = await post(body, signed(body));
    expect(r.status).toBe(200);
    expect(await woke).toMatchObject({ task_detail: { task_id: 'mt-123' } });
    watch.close();
    expect(manusApi.requests[0]!.headers['x-manus-api-key']).toBe('manus-key');
    await post(body, signed(body));
    expect(manusApi.count((q) => q.path === '/v2/webhook.publicKey')).toBe(1);
  });

  it('refuses a tampered body, a stale or future timestamp, a wrong URL and missing headers with 401', async () => {
    const body = JSON.stringify({ task_detail: { task_id: 'mt-9' } });
    const now = Math.floor(Date.now() / 1000);
    const cases: Array<[string, Record<string, string>]> = [
      [body.replace('mt-9', 'mt-8'), signed(body)],
      [body, signed(body, now - 600)],
      [body, signed(body, now + 600)],
      [body, signed(body, now, 'https://evil.example.com/api/integrations/manus/webhook')],
      [body, { 'content-type': 'application/json' }],
    ];
    for (const [b, h] of cases) {
      const r = await post(b, h);
      expect(r.status).toBe(401);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('invalid_signature');
    }
  });

  it('refuses non-JSON bodies with 415', async () => {
    const r = await post('x=1', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(r.status).toBe(415);
  });
});

describe('Manus webhooks through the app', () => {
  it('verifies with the key of the configured Manus provider account', async () => {
    const app = await startTestApp({ roles: ['api'], env: { PUBLIC_URL: 'https://sy.example.com' } });
    try {
      const admin = await loginAdmin(app.url);
      const url = `${app.url}/api/integrations/manus/webhook`;
      const body = JSON.stringify({ task_detail: { task_id: 'mt-app' } });
      // No Manus provider yet: nothing to verify with.
      const before = await fetch(url, { method: 'POST', body, headers: signed(body) });
      expect(before.status).toBe(503);
      const p = await admin.api.post('/api/providers', {
        name: 'Manus',
        kind: 'manus',
        apiEndpoint: manusApi.url,
      });
      expect(p.status, p.text).toBe(201);
      const a = await admin.api.post(`/api/providers/${p.body.id}/accounts`, {
        accountName: 'main',
        credentials: { apiKey: 'manus-app-key' },
        tokenLimit: 100000,
      });
      expect(a.status, a.text).toBe(201);
      const watch = manusEvents.watch('mt-app');
      const woke = watch.next();
      const ok = await fetch(url, { method: 'POST', body, headers: signed(body) });
      expect(ok.status).toBe(200);
      expect(await woke).toMatchObject({ task_detail: { task_id: 'mt-app' } });
      watch.close();
      expect(manusApi.requests.some((q) => q.headers['x-manus-api-key'] === 'manus-app-key')).toBe(true);
      const bad = await fetch(url, {
        method: 'POST',
        body: body.replace('mt-app', 'mt-x'),
        headers: signed(body),
      });
      expect(bad.status).toBe(401);
      expect(app.logs.join('\n')).not.toContain('manus-app-key');
    } finally {
      await app.close();
    }
  });
});

describe('Manus webhooks cannot be used to make us hammer Manus', () => {
  /** An app whose Manus key source runs on a clock the test moves. */
  async function harness(keyPem: () => string) {
    let clock = Date.now();
    const api = await startStubServer((req, res) =>
      req.path === '/v2/webhook.publicKey'
        ? sendJson(res, 200, { data: { public_key: keyPem() } })
        : sendJson(res, 404, {}),
    );
    const keys = manusPublicKeySource(async () => ({ baseUrl: api.url, apiKey: 'manus-key' }), {
      now: () => clock,
    });
    const a = express();
    const logger = createLogger({ level: 'silent' });
    a.use(
      '/api/integrations/manus',
      manusWebhookRoutes({ logger, publicUrl: () => 'https://sy.example.com', publicKey: keys }),
    );
    a.use(errorHandler(logger));
    const s = a.listen(0, '127.0.0.1');
    await new Promise((r) => s.once('listening', r));
    const url = `http://127.0.0.1:${(s.address() as { port: number }).port}/api/integrations/manus/webhook`;
    return {
      post: (body: string, headers: Record<string, string>) => fetch(url, { method: 'POST', body, headers }),
      keyFetches: () => api.count((q) => q.path === '/v2/webhook.publicKey'),
      advance: (ms: number) => {
        clock += ms;
      },
      close: async () => {
        s.closeAllConnections();
        s.close();
        await api.close();
      },
    };
  }
  const junk = (_body: string) => ({
    'content-type': 'application/json',
    'x-webhook-signature': Buffer.from('junk signature').toString('base64'),
    'x-webhook-timestamp': String(Math.floor(Date.now() / 1000)),
  });

  it('many junk POSTs with fresh timestamps cost one key fetch, concurrent ones included', async () => {
    const h = await harness(() => pem);
    try {
      const body = JSON.stringify({ task_detail: { task_id: 'mt-junk' } });
      const burst = await Promise.all(Array.from({ length: 20 }, () => h.post(body, junk(body))));
      expect(burst.map((r) => r.status)).toEqual(Array(20).fill(401));
      for (let i = 0; i < 30; i++) expect((await h.post(body, junk(body))).status).toBe(401);
      expect(h.keyFetches()).toBe(1);
      // Unsigned junk does not even get that far.
      expect((await h.post(body, { 'content-type': 'application/json' })).status).toBe(401);
      expect(h.keyFetches()).toBe(1);
      // A genuine delivery is verified with the cached key.
      expect((await h.post(body, signed(body))).status).toBe(200);
      expect(h.keyFetches()).toBe(1);
    } finally {
      await h.close();
    }
  });

  it('a bad signature refreshes the key at most once per 5 minutes; a rotated key is picked up then', async () => {
    let current = pem;
    const h = await harness(() => current);
    try {
      const body = JSON.stringify({ task_detail: { task_id: 'mt-rot' } });
      expect((await h.post(body, signed(body))).status).toBe(200);
      expect(h.keyFetches()).toBe(1);
      // Junk one minute later: no refresh yet (the key was fetched less than 5 minutes ago).
      h.advance(60_000);
      for (let i = 0; i < 10; i++) await h.post(body, junk(body));
      expect(h.keyFetches()).toBe(1);
      // Past 5 minutes: one refresh for the first bad signature, none for the next ones.
      h.advance(5 * 60_000);
      for (let i = 0; i < 10; i++) await h.post(body, junk(body));
      expect(h.keyFetches()).toBe(2);

      // Manus rotates its key: a delivery signed with the new one is accepted once a refresh is due.
      const next = generateKeyPairSync('rsa', { modulusLength: 2048 });
      current = next.publicKey.export({ type: 'spki', format: 'pem' }).toString();
      const ts = Math.floor(Date.now() / 1000);
      const url = 'https://sy.example.com/api/integrations/manus/webhook';
      const hash = createHash('sha256').update(body).digest('hex');
      const headers = {
        'content-type': 'application/json',
        'x-webhook-timestamp': String(ts),
        'x-webhook-signature': sign('sha256', Buffer.from(`${ts}.${url}.${hash}`), next.privateKey).toString(
          'base64',
        ),
      };
      h.advance(5 * 60_000 + 1);
      expect((await h.post(body, headers)).status).toBe(200);
      expect(h.keyFetches()).toBe(3);
    } finally {
      await h.close();
    }
  });
});
