import { createHash, createPublicKey, verify } from 'node:crypto';

/**
 * Verify a Manus webhook delivery (pure: no I/O, the clock is injectable).
 *
 * What Manus documents (open.manus.ai, "Webhook Security", v1 and v2 pages alike):
 * - headers `X-Webhook-Signature` (base64 RSA-SHA256 signature, 2048-bit key) and
 *   `X-Webhook-Timestamp` (Unix seconds when signed);
 * - the signed string is `{timestamp}.{url}.{sha256_hex(raw body)}`, where `url` is the full webhook
 *   URL including its query string and the body hash is lowercase hex;
 * - reject requests older than 5 minutes;
 * - the public key comes from `GET /v2/webhook.publicKey` (v1: `GET /v1/webhook/public_key`) and
 *   should be cached.
 *
 * Where the docs are unclear, and what we chose:
 * - "RSA-SHA256" with "hash the content with SHA-256, then verify" is read as the standard
 *   RSASSA-PKCS1-v1_5 + SHA-256 over the signed string (what `crypto.verify('sha256', …)` and the
 *   usual "SHA256withRSA" do), not PSS and not a signature over a pre-hashed digest.
 * - The docs do not say whether the URL is the one registered or the one requested; we verify
 *   against the URL the caller passes, which should be the public URL registered with Manus
 *   (behind a proxy, build it from PUBLIC_URL + path + query, not from the Host header).
 * - Only "older than 5 minutes" is documented; we also reject timestamps more than 5 minutes in the
 *   future (clock skew allowance in both directions).
 */
export interface VerifyManusWebhookInput {
  /** Request headers: a Headers object or Node's IncomingHttpHeaders (any case). */
  headers: Headers | Record<string, string | string[] | undefined>;
  /** The raw request body, exactly as received (before JSON parsing). */
  rawBody: string | Uint8Array;
  /** The full webhook URL Manus posted to, including the query string. */
  url: string;
  /** Manus's public key (PEM, SPKI). */
  publicKeyPem: string;
  /** Current time (ms since epoch or a Date). Defaults to Date.now(). */
  now?: number | Date;
  /** Allowed clock difference in seconds (default 300). */
  toleranceSec?: number;
}

export type ManusWebhookFailure =
  | 'missing_signature'
  | 'missing_timestamp'
  | 'invalid_timestamp'
  | 'stale_timestamp'
  | 'invalid_public_key'
  | 'invalid_signature';

export type VerifyManusWebhookResult =
  | { ok: true; timestamp: number }
  | { ok: false; reason: ManusWebhookFailure };

export const MANUS_SIGNATURE_HEADER = 'x-webhook-signature';
export const MANUS_TIMESTAMP_HEADER = 'x-webhook-timestamp';

export function manusSignedString(timestamp: string, url: string, rawBody: string | Uint8Array): string {
  const bodyHash = createHash('sha256').update(rawBody).digest('hex');
  return `${timestamp}.${url}.${bodyHash}`;
}

/**
 * The checks that need neither the body nor the key: both headers present, a well-formed timestamp
 * inside the window. Run first, so that junk costs no key fetch and no body read.
 */
export function checkManusWebhookHeaders(
  input: Pick<VerifyManusWebhookInput, 'headers' | 'now' | 'toleranceSec'>,
): { ok: true; signature: string; timestamp: string } | { ok: false; reason: ManusWebhookFailure } {
  const signature = header(input.headers, MANUS_SIGNATURE_HEADER);
  const timestamp = header(input.headers, MANUS_TIMESTAMP_HEADER);
  if (!signature) return { ok: false, reason: 'missing_signature' };
  if (!timestamp) return { ok: false, reason: 'missing_timestamp' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'invalid_timestamp' };
  const nowMs = input.now instanceof Date ? input.now.getTime() : (input.now ?? Date.now());
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > (input.toleranceSec ?? 300))
    return { ok: false, reason: 'stale_timestamp' };
  return { ok: true, signature, timestamp };
}

export function verifyManusWebhook(input: VerifyManusWebhookInput): VerifyManusWebhookResult {
  const pre = checkManusWebhookHeaders(input);
  if (!pre.ok) return pre;
  const { signature, timestamp } = pre;
  const ts = Number(timestamp);

  let key: ReturnType<typeof createPublicKey>;
  try {
    key = createPublicKey(input.publicKeyPem);
  } catch {
    return { ok: false, reason: 'invalid_public_key' };
  }
  if (key.asymmetricKeyType !== 'rsa') return { ok: false, reason: 'invalid_public_key' };

  const sig = Buffer.from(signature, 'base64');
  if (sig.length === 0) return { ok: false, reason: 'invalid_signature' };
  let valid = false;
  try {
    valid = verify('sha256', Buffer.from(manusSignedString(timestamp, input.url, input.rawBody)), key, sig);
  } catch {
    valid = false;
  }
  return valid ? { ok: true, timestamp: ts } : { ok: false, reason: 'invalid_signature' };
}

function header(headers: VerifyManusWebhookInput['headers'], name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function')
    return (headers as Headers).get(name)?.trim() || undefined;
  const rec = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(rec).find((k) => k.toLowerCase() === name);
  const v = key === undefined ? undefined : rec[key];
  const s = Array.isArray(v) ? v[0] : v;
  return s?.trim() || undefined;
}
