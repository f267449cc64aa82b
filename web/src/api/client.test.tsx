import { describe, expect, it, vi } from 'vitest';
import { ApiClient } from './client';
import { ApiError, fieldErrors, messageOf } from './errors';
import { memoryRefreshStore } from './tokenStore';

type Handler = (req: {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
}) => Response | Promise<Response>;

/** A fetch double that records every call and answers through `handler`. */
function fakeFetch(handler: Handler) {
  const calls: Array<{ url: string; method: string; headers: Record<string, string>; body: unknown }> = [];
  const fn = vi.fn(async (input: string | URL | Request, init?: RequestInit) => {
    const req = {
      url: String(input),
      method: init?.method ?? 'GET',
      headers: (init?.headers ?? {}) as Record<string, string>,
      body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
    };
    calls.push(req);
    return handler(req);
  });
  return { fetch: fn as unknown as typeof fetch, calls };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });

const unauthorized = () => json(401, { error: { code: 'unauthorized', message: 'Token expired' } });

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** A client already holding access token `old` and refresh token `r1`. */
async function signedInClient(handler: Handler) {
  const store = memoryRefreshStore();
  let loggedIn = false;
  const f = fakeFetch(async (req) => {
    if (!loggedIn && req.url === '/api/auth/login') {
      loggedIn = true;
      return json(200, { user: { id: 'u1' }, accessToken: 'old', refreshToken: 'r1', expiresIn: 900 });
    }
    return handler(req);
  });
  const client = new ApiClient({ fetch: f.fetch, refreshStore: store });
  await client.login({ username: 'ada', password: 'pw' });
  f.calls.length = 0;
  return { client, store, calls: f.calls };
}

describe('ApiClient refresh on 401', () => {
  it('refreshes once for concurrent 401s and retries each request with the new token', async () => {
    const refreshGate = deferred<void>();
    let refreshCalls = 0;
    let unauthorizedSeen = 0;
    const allFailed = deferred<void>();
    const { client, store, calls } = await signedInClient(async (req) => {
      if (req.url === '/api/auth/refresh') {
        refreshCalls++;
        expect(req.body).toEqual({ refreshToken: 'r1' });
        await refreshGate.promise;
        return json(200, { accessToken: 'new', refreshToken: 'r2', expiresIn: 900 });
      }
      if (req.headers.Authorization === 'Bearer old') {
        unauthorizedSeen++;
        if (unauthorizedSeen === 3) allFailed.resolve();
        return unauthorized();
      }
      if (req.headers.Authorization === 'Bearer new')
        return json(200, { items: [req.url], page: 1, limit: 20, total: 1 });
      return json(500, {});
    });

    const results = Promise.all([client.listTasks(), client.listContent(), client.listApiTokens()]);
    await allFailed.promise;
    refreshGate.resolve();
    const [tasks, content, tokens] = await results;

    expect(refreshCalls).toBe(1);
    expect(tasks.items).toEqual(['/api/tasks']);
    expect(content.items).toEqual(['/api/content']);
    expect(tokens.items).toEqual(['/api/auth/tokens']);
    expect(store.get()).toBe('r2');
    // 3 failed calls + 1 refresh + 3 retries
    expect(calls).toHaveLength(7);
  });

  it('retries only once: a second 401 after refreshing is thrown, not refreshed again', async () => {
    let refreshCalls = 0;
    const { client } = await signedInClient((req) => {
      if (req.url === '/api/auth/refresh') {
        refreshCalls++;
        return json(200, {
          accessToken: `new${refreshCalls}`,
          refreshToken: `r${refreshCalls + 1}`,
          expiresIn: 900,
        });
      }
      return unauthorized();
    });
    const err = await client.getTask('t1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(401);
    expect(refreshCalls).toBe(1);
  });

  it('ends the session when the refresh token is refused', async () => {
    const { client, store } = await signedInClient((req) =>
      req.url === '/api/auth/refresh'
        ? json(401, { error: { code: 'unauthorized', message: 'Session revoked' } })
        : unauthorized(),
    );
    const listener = vi.fn();
    client.onSessionChange(listener);
    const err = await client.me().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe('unauthorized');
    expect(listener).toHaveBeenCalledWith(false);
    expect(store.get()).toBeNull();
    expect(client.hasSession()).toBe(false);
  });

  it('after a page load, gets an access token from the stored refresh token first (once)', async () => {
    const store = memoryRefreshStore('stored');
    let refreshCalls = 0;
    const f = fakeFetch((req) => {
      if (req.url === '/api/auth/refresh') {
        refreshCalls++;
        return json(200, { accessToken: 'fresh', refreshToken: 'stored2', expiresIn: 900 });
      }
      expect(req.headers.Authorization).toBe('Bearer fresh');
      return json(200, { user: { id: 'u1', username: 'ada' } });
    });
    const client = new ApiClient({ fetch: f.fetch, refreshStore: store });
    const [a, b] = await Promise.all([client.me(), client.me()]);
    expect(a.username).toBe('ada');
    expect(b.username).toBe('ada');
    expect(refreshCalls).toBe(1);
    expect(store.get()).toBe('stored2');
  });

  it('does not try to refresh for unauthenticated calls such as login', async () => {
    const store = memoryRefreshStore();
    const f = fakeFetch(() =>
      json(401, { error: { code: 'invalid_credentials', message: 'Wrong username or password' } }),
    );
    const client = new ApiClient({ fetch: f.fetch, refreshStore: store });
    const err = (await client
      .login({ username: 'ada', password: 'nope' })
      .catch((e: unknown) => e)) as ApiError;
    expect(err.code).toBe('invalid_credentials');
    expect(err.humanMessage).toBe('Wrong username or password');
    expect(f.calls).toHaveLength(1);
  });

  it('sign-out calls POST /api/auth/logout and forgets the tokens even if that fails', async () => {
    const { client, store, calls } = await signedInClient(() =>
      json(503, { error: { code: 'unavailable', message: 'down' } }),
    );
    await client.logout();
    expect(calls[0]).toMatchObject({
      url: '/api/auth/logout',
      method: 'POST',
      headers: { Authorization: 'Bearer old' },
    });
    expect(store.get()).toBeNull();
    expect(client.hasSession()).toBe(false);
  });
});

describe('ApiClient error mapping', () => {
  const clientAnswering = (res: () => Response | Promise<Response>) =>
    new ApiClient({ fetch: fakeFetch(res).fetch, refreshStore: memoryRefreshStore() });

  it('surfaces the API error body as a typed ApiError', async () => {
    const client = clientAnswering(() =>
      json(
        409,
        {
          error: {
            code: 'conflict',
            message: 'Version 3 is not the current version',
            details: { current: 4 },
          },
        },
        { 'x-request-id': 'req-1' },
      ),
    );
    const err = (await client
      .updateContent('c1', { contentData: 'x', baseVersion: 3 })
      .catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 409, code: 'conflict', details: { current: 4 }, requestId: 'req-1' });
    expect(messageOf(err)).toBe('Version 3 is not the current version');
  });

  it('never shows a non-JSON error body; falls back to a message for the status', async () => {
    const client = clientAnswering(
      () =>
        new Response('<html><body>Traceback: secret stuff</body></html>', {
          status: 502,
          headers: { 'content-type': 'text/html' },
        }),
    );
    const err = (await client.listProviders().catch((e: unknown) => e)) as ApiError;
    expect(err.code).toBe('internal_error');
    expect(err.message).not.toMatch(/Traceback|html/);
    expect(err.message).toMatch(/went wrong/);
  });

  it('adds the wait from Retry-After when rate limited', async () => {
    const client = clientAnswering(() =>
      json(429, { error: { code: 'rate_limited', message: 'Too many requests' } }, { 'retry-after': '7' }),
    );
    const err = (await client.createLinkCode().catch((e: unknown) => e)) as ApiError;
    expect(err.retryAfter).toBe(7);
    expect(err.humanMessage).toBe('Too many requests. Try again in 7 seconds.');
  });

  it('maps a failed connection to network_error', async () => {
    const client = new ApiClient({
      fetch: (async () => {
        throw new TypeError('Failed to fetch');
      }) as unknown as typeof fetch,
      refreshStore: memoryRefreshStore(),
    });
    const err = (await client.health().catch((e: unknown) => e)) as ApiError;
    expect(err).toMatchObject({ status: 0, code: 'network_error' });
    expect(err.message).toMatch(/Cannot reach the server/);
  });

  it('reads per-field messages from validation details in the common zod shapes', () => {
    const issues = new ApiError({
      status: 400,
      code: 'validation_failed',
      message: 'Invalid',
      details: [
        { path: ['email'], message: 'Invalid email' },
        { path: ['options', 'maxTokens'], message: 'Too big' },
      ],
    });
    expect(fieldErrors(issues)).toEqual({ email: 'Invalid email', 'options.maxTokens': 'Too big' });
    const flat = new ApiError({
      status: 400,
      code: 'validation_failed',
      message: 'Invalid',
      details: { fieldErrors: { name: ['Required'] } },
    });
    expect(fieldErrors(flat)).toEqual({ name: 'Required' });
    // What this API's routes send (src/api/route.ts): the field named with where it was.
    const ours = new ApiError({
      status: 400,
      code: 'validation_failed',
      message: 'Invalid body',
      details: [{ field: 'body.limitMicros', message: 'Too big', code: 'too_big' }],
    });
    expect(fieldErrors(ours)).toEqual({ limitMicros: 'Too big' });
    expect(fieldErrors(new Error('x'))).toEqual({});
  });

  it('downloads exports with the Content-Disposition file name', async () => {
    const f = fakeFetch(
      () =>
        new Response('%PDF-1.7', {
          status: 200,
          headers: {
            'content-type': 'application/pdf',
            'content-disposition': `attachment; filename="x.pdf"; filename*=UTF-8''R%C3%A9sum%C3%A9.pdf`,
          },
        }),
    );
    const client = new ApiClient({ fetch: f.fetch, refreshStore: memoryRefreshStore() });
    const file = await client.exportContent('c1', 'pdf', 2);
    expect(file.filename).toBe('Résumé.pdf');
    expect(file.contentType).toBe('application/pdf');
    expect(await file.blob.text()).toBe('%PDF-1.7');
    expect(f.calls[0]).toMatchObject({
      url: '/api/content/c1/export',
      method: 'POST',
      body: { format: 'pdf', version: 2 },
    });
  });

  it('sends JSON with its Content-Type, a GET without one, and the Idempotency-Key when given', async () => {
    const f = fakeFetch((req) =>
      req.method === 'POST' ? json(201, { id: 't1', status: 'queued' }) : json(200, { items: [] }),
    );
    const client = new ApiClient({ fetch: f.fetch, refreshStore: memoryRefreshStore() });
    await client.createTask({ description: 'Write a haiku', taskType: 'summary' }, 'key-1');
    await client.taskTypes();
    expect(f.calls[0]).toMatchObject({
      url: '/api/tasks',
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'Idempotency-Key': 'key-1' },
      body: { description: 'Write a haiku', taskType: 'summary' },
    });
    expect(f.calls[1]).toMatchObject({ url: '/api/task-types', method: 'GET', body: undefined });
    expect(f.calls[1].headers['Content-Type']).toBeUndefined();
  });

  it('encodes path segments and drops empty query values', async () => {
    const f = fakeFetch(() => json(200, { items: [], page: 1, limit: 20, total: 0 }));
    const client = new ApiClient({ fetch: f.fetch, refreshStore: memoryRefreshStore() });
    await client.listContent({ q: 'a b', taskId: '', page: 2 });
    await client.getTask('../admin').catch(() => undefined);
    expect(f.calls[0].url).toBe('/api/content?q=a+b&page=2');
    expect(f.calls[1].url).toBe('/api/tasks/..%2Fadmin');
  });
});
