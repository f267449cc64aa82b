import { signPayload } from '../../src/core/webhooks/signature.js';
import { client } from '../helpers/app.js';

export { sql } from '../helpers/sql.js';
export { waitFor } from '../helpers/wait.js';

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
  const { status, body: json, text } = await client('').post(url, body, headers);
  return { status, body: json, text };
}
