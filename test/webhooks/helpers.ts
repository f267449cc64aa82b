import pg from 'pg';
import { signPayload } from '../../src/core/webhooks/signature.js';

/** Polls `probe` until it returns something truthy (the test's own timeout bounds the wait). */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | null | false>,
  what: string,
  timeoutMs = 25_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(
        `Timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs SQL on the app's database (assertions the API does not expose, and setup). */
export async function sql<T = Record<string, unknown>>(
  databaseUrl: string,
  text: string,
  values: unknown[] = [],
): Promise<T[]> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    return (await c.query(text, values)).rows as T[];
  } finally {
    await c.end();
  }
}

/** POSTs raw bytes to an inbound hook, signed like another tool would (or with the overrides given). */
export async function deliver(
  url: string,
  body: string,
  opts: {
    secret?: string;
    nowMs?: number;
    signature?: string | null;
    headers?: Record<string, string>;
    contentType?: string;
  } = {},
) {
  const headers: Record<string, string> = {
    'content-type': opts.contentType ?? 'application/json',
    ...opts.headers,
  };
  const sig =
    opts.signature === undefined
      ? opts.secret
        ? signPayload(opts.secret, body, opts.nowMs)
        : undefined
      : opts.signature;
  if (sig) headers['x-switchyard-signature'] = sig;
  const res = await fetch(url, { method: 'POST', body, headers });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, body: json, text };
}
