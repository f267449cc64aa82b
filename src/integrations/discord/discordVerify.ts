import { createPublicKey, type KeyObject, verify } from 'node:crypto';

/** DER prefix that turns Discord's raw 32-byte Ed25519 public key into an SPKI key node:crypto accepts. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** Requests whose signed timestamp is further than this from now (either way) are refused. */
export const DISCORD_MAX_SKEW_SECONDS = 300;

export function discordPublicKey(hex: string): KeyObject {
  return createPublicKey({
    key: Buffer.concat([ED25519_SPKI_PREFIX, Buffer.from(hex, 'hex')]),
    format: 'der',
    type: 'spki',
  });
}

/**
 * Discord signs `timestamp + raw body` with the application's Ed25519 key (headers
 * X-Signature-Ed25519, hex, and X-Signature-Timestamp, unix seconds). The exact bytes must be
 * verified: re-serialised JSON would not match.
 */
export function verifyDiscordRequest(
  key: KeyObject,
  rawBody: Buffer,
  signatureHex: string | undefined,
  timestamp: string | undefined,
  nowSeconds: number,
): boolean {
  if (!signatureHex || !timestamp || !/^[0-9a-f]{128}$/i.test(signatureHex) || !/^\d{1,12}$/.test(timestamp))
    return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > DISCORD_MAX_SKEW_SECONDS) return false;
  try {
    return verify(
      null,
      Buffer.concat([Buffer.from(timestamp, 'utf8'), rawBody]),
      key,
      Buffer.from(signatureHex, 'hex'),
    );
  } catch {
    return false;
  }
}
