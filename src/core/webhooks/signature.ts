import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The Switchyard signature scheme, used for inbound hooks and outbound callbacks alike:
 *
 *   X-Switchyard-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 *
 * The header may carry several v1 values (a sender signing with both secrets during a rotation);
 * any one matching is enough. Timestamps more than `toleranceSeconds` away from now, in either
 * direction, are refused, so a captured request cannot be replayed later.
 */
export const SIGNATURE_HEADER = 'x-switchyard-signature';
export const DEFAULT_TOLERANCE_SECONDS = 300;

export type SignatureFailure = 'missing' | 'malformed' | 'stale' | 'mismatch';

export type VerifyResult =
  | {
      ok: true;
      timestamp: number /** Index of the secret that matched (0 = current). */;
      secretIndex: number;
      signature: string;
    }
  | { ok: false; reason: SignatureFailure };

export function computeSignature(secret: string, timestamp: number, rawBody: string | Buffer): string {
  return createHmac('sha256', secret)
    .update(`${timestamp}.`)
    .update(typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody)
    .digest('hex');
}

/** The header value for a body signed now (or at `nowMs`). */
export function signPayload(secret: string, rawBody: string | Buffer, nowMs: number = Date.now()): string {
  const t = Math.floor(nowMs / 1000);
  return `t=${t},v1=${computeSignature(secret, t, rawBody)}`;
}

export function parseSignatureHeader(header: string): { timestamp: number; signatures: string[] } | null {
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return null;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (!/^\d{1,12}$/.test(value) || timestamp !== undefined) return null;
      timestamp = Number(value);
    } else if (key === 'v1') {
      if (!/^[0-9a-f]{64}$/i.test(value)) return null;
      signatures.push(value.toLowerCase());
    }
    // Unknown schemes (v0, v2, …) are ignored so the format can evolve.
  }
  if (timestamp === undefined || signatures.length === 0) return null;
  return { timestamp, signatures };
}

/**
 * Verifies a signature header against one or more secrets (the current one first, then a previous
 * one still inside its grace period). Comparisons are constant-time.
 */
export function verifySignature(
  header: string | undefined,
  rawBody: string | Buffer,
  secrets: readonly string[],
  opts: { nowMs?: number; toleranceSeconds?: number } = {},
): VerifyResult {
  if (!header) return { ok: false, reason: 'missing' };
  const parsed = parseSignatureHeader(header);
  if (!parsed) return { ok: false, reason: 'malformed' };
  const now = Math.floor((opts.nowMs ?? Date.now()) / 1000);
  if (Math.abs(now - parsed.timestamp) > (opts.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) {
    return { ok: false, reason: 'stale' };
  }
  for (let i = 0; i < secrets.length; i++) {
    const expected = Buffer.from(computeSignature(secrets[i]!, parsed.timestamp, rawBody), 'hex');
    for (const sig of parsed.signatures) {
      const given = Buffer.from(sig, 'hex');
      if (given.length === expected.length && timingSafeEqual(given, expected)) {
        return { ok: true, timestamp: parsed.timestamp, secretIndex: i, signature: sig };
      }
    }
  }
  return { ok: false, reason: 'mismatch' };
}
