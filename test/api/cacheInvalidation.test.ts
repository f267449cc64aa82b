import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CACHE_CHANNEL } from '../../src/models/cacheBus.js';
import { client, loginAdmin, registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import { sql, withDb } from '../helpers/sql.js';
import { waitFor } from '../helpers/wait.js';
import { waitForStatus } from '../tasks/helpers.js';

/**
 * Two Switchyard processes on one database: `a` (API only) makes the changes, `b` (API + worker)
 * serves from its in-process caches. A change committed through `a` must reach `b` through the
 * cache bus (LISTEN/NOTIFY), long before the caches' TTLs (30–60 s) would expire the old answer.
 * The tests poll `b` for a few seconds at most; the delays observed are printed, not asserted.
 */
let a: TestApp;
let b: TestApp;
let adminA: Awaited<ReturnType<typeof loginAdmin>>;
let adminB: Awaited<ReturnType<typeof loginAdmin>>;
const POLL_MS = 5_000;

beforeAll(async () => {
  a = await startTestApp({ roles: ['api'] });
  b = await startTestApp({ databaseUrl: a.databaseUrl, roles: ['api', 'worker'] });
  adminA = await loginAdmin(a.url);
  adminB = await loginAdmin(b.url);
}, 90_000);
afterAll(async () => {
  await b?.close();
  await a?.close();
});

const me = (app: TestApp, token: string) => client(app.url, token).get('/api/auth/me');
const hits = (app: TestApp, cache: string) => app.sy.cache.stats()[cache]?.hits ?? 0;

/** Polls until `probe` holds; returns how long that took (ms), for the report. */
async function seenWithin(probe: () => Promise<boolean>, what: string): Promise<number> {
  const t0 = performance.now();
  await waitFor(async () => (await probe()) || undefined, what, POLL_MS, 10);
  const ms = performance.now() - t0;
  console.log(`[cache] ${what}: seen by the other process after ${ms.toFixed(1)} ms`);
  return ms;
}

/**
 * Signs the user in on `b` and makes sure `b` now answers that token from its cache. An invalidation
 * still in flight (from a change made just before, e.g. the registration) may evict the entry between
 * the two reads, so this polls until a second read is a cache hit.
 */
async function cachedOnB(token: string, cache: string) {
  await waitFor(
    async () => {
      expect((await me(b, token)).status).toBe(200);
      const before = hits(b, cache);
      expect((await me(b, token)).status).toBe(200);
      return hits(b, cache) > before || undefined;
    },
    `b to answer from its ${cache} cache`,
    POLL_MS,
    10,
  );
}

describe('a change made in one process is seen by the other', () => {
  it('a user suspended through one process can no longer use a session on the other', async () => {
    const u = await registerUser(a.url);
    await cachedOnB(u.accessToken, 'auth.sessions');

    const r = await adminA.api.put(`/api/admin/users/${u.user.id}`, { status: 'suspended' });
    expect(r.status, r.text).toBe(200);
    await seenWithin(async () => (await me(b, u.accessToken)).status === 401, 'suspension');
    expect((await me(b, u.accessToken)).body.error.code).toBe('unauthorized');
  });

  it('an API token revoked through one process stops working on the other', async () => {
    const u = await registerUser(a.url);
    const t = await u.api.post('/api/auth/tokens', { name: 'ci' });
    expect(t.status, t.text).toBe(201);
    await cachedOnB(t.body.token, 'auth.apiTokens');

    expect((await u.api.delete(`/api/auth/tokens/${t.body.id}`)).status).toBe(204);
    await seenWithin(async () => (await me(b, t.body.token)).status === 401, 'API token revocation');
  });

  it('a logout in one process ends the session in the other; a role change too', async () => {
    const u = await registerUser(a.url);
    await cachedOnB(u.accessToken, 'auth.sessions');
    expect((await u.api.post('/api/auth/logout', {})).status).toBeLessThan(300);
    await seenWithin(async () => (await me(b, u.accessToken)).status === 401, 'logout');

    const v = await registerUser(a.url);
    await cachedOnB(v.accessToken, 'auth.users');
    expect((await adminA.api.put(`/api/admin/users/${v.user.id}`, { role: 'admin' })).status).toBe(200);
    await seenWithin(async () => (await me(b, v.accessToken)).status === 401, 'role change');
  });

  it('a setting changed through one process is seen by the other', async () => {
    const read = async () =>
      (await adminB.api.get('/api/admin/settings')).body['shares.defaultExpiresInHours'];
    const current = await read();
    const before = hits(b, 'settings');
    expect(await read()).toBe(current);
    expect(hits(b, 'settings')).toBeGreaterThan(before);

    const next = current === 48 ? 49 : 48;
    const r = await adminA.api.post('/api/admin/settings', { 'shares.defaultExpiresInHours': next });
    expect(r.status, r.text).toBe(200);
    await seenWithin(async () => (await read()) === next, 'settings change');
  });

  it('a provider disabled through one process is no longer routed to by the other', async () => {
    const user = await registerUser(a.url);
    const run = async () => {
      const r = await user.api.post('/api/tasks', { description: 'Write about canals', taskType: 'article' });
      expect(r.status, r.text).toBe(201);
      return waitForStatus(user.api, r.body.id, ['completed', 'failed'], POLL_MS);
    };
    const mock = (await adminA.api.get('/api/providers')).body.items.find(
      (p: { name: string }) => p.name === 'Mock',
    );
    expect((await run()).status).toBe('completed');
    const before = hits(b, 'providers');
    expect((await run()).status).toBe('completed');
    expect(hits(b, 'providers')).toBeGreaterThan(before); // b's worker routes from its cached directory

    expect((await adminA.api.put(`/api/providers/${mock.id}`, { status: 'disabled' })).status).toBe(200);
    try {
      await seenWithin(async () => (await run()).status === 'failed', 'provider disabled');
      const failed = await run();
      expect(failed.status).toBe('failed');
      const routing = await user.api.get(`/api/tasks/${failed.id}/routing`);
      expect(routing.body.outcome).toBe('no_provider');
    } finally {
      await adminA.api.put(`/api/providers/${mock.id}`, { status: 'active' });
    }
  });
});

describe('the notices themselves', () => {
  it('a rolled-back write notifies nothing; a committed one notifies at commit', async () => {
    const u = await registerUser(a.url); // its own writes (lastLogin) notify before we listen
    const listener = new pg.Client({ connectionString: a.databaseUrl });
    await listener.connect();
    const got: string[] = [];
    listener.on('notification', (m) => m.payload && got.push(m.payload));
    await listener.query(`LISTEN ${CACHE_CHANNEL}`);
    try {
      await withDb(a.databaseUrl, async (c) => {
        await c.query('BEGIN');
        await c.query(`UPDATE users SET status = 'suspended' WHERE id = $1`, [u.user.id]);
        await c.query('ROLLBACK');
      });
      await sql(a.databaseUrl, `UPDATE settings SET updated_at = now() WHERE false`); // statement trigger
      await waitFor(async () => got.includes('settings'), 'the committed notice');
      // Notices arrive in commit order: the rolled-back change would have come first.
      expect(got).not.toContain(`user:${u.user.id}`);
      expect((await me(b, u.accessToken)).status).toBe(200);
    } finally {
      await listener.end();
    }
  });

  it('after the listener connection is killed, it reconnects and invalidation works again', async () => {
    const oldPid = b.sy.cache.backendPid;
    expect(oldPid).not.toBeNull();
    const [killed] = await sql<{ ok: boolean }>(a.databaseUrl, 'SELECT pg_terminate_backend($1) AS ok', [
      oldPid,
    ]);
    expect(killed!.ok).toBe(true);
    const t0 = performance.now();
    await waitFor(
      async () => b.sy.cache.backendPid !== null && b.sy.cache.backendPid !== oldPid,
      'the cache listener to reconnect',
    );
    console.log(`[cache] listener reconnected after ${(performance.now() - t0).toFixed(0)} ms`);
    const u = await registerUser(a.url);
    await cachedOnB(u.accessToken, 'auth.sessions');
    expect((await adminA.api.put(`/api/admin/users/${u.user.id}`, { status: 'suspended' })).status).toBe(200);
    await seenWithin(async () => (await me(b, u.accessToken)).status === 401, 'suspension after reconnect');
  });
});
