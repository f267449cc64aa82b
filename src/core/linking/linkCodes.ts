import { randomBytes } from 'node:crypto';
import { hashToken } from '../auth/secrets.js';

/**
 * Link codes are typed by hand into a chat, so they use Crockford's base32 (no I, L, O, U; case
 * and dashes ignored; O/I/L read as 0/1/1): 10 symbols = 50 random bits, shown as `ABCDE-FGHJK`.
 * Only a hash is stored. Single use, short-lived, and chat commands are rate limited per identity.
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const LINK_CODE_LENGTH = 10;
export const LINK_CODE_TTL_MS = 10 * 60_000;

export function generateLinkCode(): string {
  const bytes = randomBytes(LINK_CODE_LENGTH);
  let s = '';
  for (const b of bytes) s += ALPHABET[b & 31]; // 256 is a multiple of 32: no modulo bias
  return `${s.slice(0, 5)}-${s.slice(5)}`;
}

/** What the user typed, reduced to the canonical symbols; null when it cannot be a code. */
export function normalizeLinkCode(input: string): string | null {
  const s = input
    .toUpperCase()
    .replace(/[\s\-_.·]/g, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
  if (s.length !== LINK_CODE_LENGTH) return null;
  for (const c of s) if (!ALPHABET.includes(c)) return null;
  return s;
}

export function hashLinkCode(normalized: string): string {
  return hashToken(`link:${normalized}`);
}
