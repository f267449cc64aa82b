import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { type Role, type Switchyard, startSwitchyard } from '../../src/compose.js';
import { parseEnv } from '../../src/env.js';
import { createLogger } from '../../src/logger.js';
import { createTestDatabase } from './db.js';

export const ADMIN = { username: 'admin', email: 'admin@example.com', password: 'admin-password-1' };

export interface TestApp {
  sy: Switchyard;
  url: string;
  databaseUrl: string;
  /** Every log line the app wrote (JSON), for assertions such as "no secret was logged". */
  logs: string[];
  close(): Promise<void>;
}

/**
 * Boots the real Switchyard (same composition root as `npm start`) on port 0 against a fresh
 * database. `env` overrides variables; `databaseUrl` reuses a database (e.g. to test restarts).
 */
export async function startTestApp(
  opts: { env?: Record<string, string | undefined>; roles?: Role[]; databaseUrl?: string } = {},
): Promise<TestApp> {
  const databaseUrl = opts.databaseUrl ?? (await createTestDatabase());
  const logs: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const env = parseEnv({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: mkdtempSync(path.join(tmpdir(), 'sy-app-')),
    DATABASE_URL: databaseUrl,
    JWT_SECRET: 'test-jwt-secret-that-is-long-enough-0123456789',
    ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    ADMIN_USERNAME: ADMIN.username,
    LOG_LEVEL: 'debug',
    RATE_LIMIT_PER_MINUTE: '100000',
    AUTH_RATE_LIMIT_PER_MINUTE: '100000',
    // Answers at once unless a test is about streaming (the product default is 200 tokens/s).
    MOCK_TOKENS_PER_SECOND: '0',
    // Two test files run side by side on one server (CI's PostgreSQL 15 allows 100 connections):
    // at most 10 + 5 queue + 3 LISTEN connections per app (test/helpers/oneAtATime.ts has the budget).
    DATABASE_POOL_MAX: '10',
    ...opts.env,
  });
  const logger = createLogger({ level: env.LOG_LEVEL, json: true, stream });
  const sy = await startSwitchyard({ env, logger, roles: opts.roles ?? ['api', 'worker'] });
  return { sy, url: sy.api?.url ?? '', databaseUrl, logs, close: () => sy.stop() };
}

/** A tiny JSON client for tests. Returns status, headers and parsed body. */
export function client(baseUrl: string, token?: string) {
  async function call(method: string, p: string, body?: unknown, headers: Record<string, string> = {}) {
    const init: RequestInit = {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
    }
    const res = await fetch(baseUrl + p, init);
    const text = await res.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, body: json, text };
  }
  return {
    get: (p: string, h?: Record<string, string>) => call('GET', p, undefined, h),
    post: (p: string, b?: unknown, h?: Record<string, string>) => call('POST', p, b, h),
    put: (p: string, b?: unknown, h?: Record<string, string>) => call('PUT', p, b, h),
    delete: (p: string, h?: Record<string, string>) => call('DELETE', p, undefined, h),
    call,
  };
}

let counter = 0;
/** Registers a fresh user and returns its tokens and a client bound to the access token. */
export async function registerUser(baseUrl: string, name?: string) {
  const username = name ?? `user${Date.now().toString(36)}${counter++}`;
  const r = await client(baseUrl).post('/api/auth/register', {
    username,
    email: `${username}@example.com`,
    password: 'password-123',
  });
  if (r.status !== 201) throw new Error(`register failed: ${r.status} ${r.text}`);
  return { ...r.body, password: 'password-123', api: client(baseUrl, r.body.accessToken) } as {
    user: { id: string; username: string; email: string };
    accessToken: string;
    refreshToken: string;
    password: string;
    api: ReturnType<typeof client>;
  };
}

export async function loginAdmin(baseUrl: string) {
  const r = await client(baseUrl).post('/api/auth/login', {
    username: ADMIN.username,
    password: ADMIN.password,
  });
  if (r.status !== 200) throw new Error(`admin login failed: ${r.status} ${r.text}`);
  return { ...r.body, api: client(baseUrl, r.body.accessToken) } as {
    user: { id: string };
    accessToken: string;
    refreshToken: string;
    api: ReturnType<typeof client>;
  };
}
