import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseSignatureHeader, signPayload, verifySignature } from '../../src/core/webhooks/signature.js';

const SECRET = 'sy_whs_test-secret-1';
const OTHER = 'sy_whs_test-secret-2';
const body = '{"ticket":{"title":"Hello"}}';
const now = Date.UTC(2030, 0, 1, 12, 0, 0);

describe('X-Switchyard-Signature', () => {
  it('is t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>', () => {
    const header = signPayload(SECRET, body, now);
    const t = Math.floor(now / 1000);
    expect(header).toBe(`t=${t},v1=${createHmac('sha256', SECRET).update(`${t}.${body}`).digest('hex')}`);
    expect(verifySignature(header, body, [SECRET], { nowMs: now })).toMatchObject({
      ok: true,
      timestamp: t,
      secretIndex: 0,
    });
  });

  it('refuses a tampered body, a wrong secret, and a missing or malformed header', () => {
    const header = signPayload(SECRET, body, now);
    expect(verifySignature(header, body.replace('Hello', 'Hellp'), [SECRET], { nowMs: now })).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    expect(verifySignature(header, body, [OTHER], { nowMs: now })).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifySignature(undefined, body, [SECRET], { nowMs: now })).toEqual({
      ok: false,
      reason: 'missing',
    });
    for (const bad of [
      'garbage',
      't=abc,v1=00',
      `t=${now / 1000}`,
      `v1=${'a'.repeat(64)}`,
      `t=1,v1=${'z'.repeat(64)}`,
    ]) {
      expect(verifySignature(bad, body, [SECRET], { nowMs: now })).toEqual({
        ok: false,
        reason: 'malformed',
      });
    }
  });

  it('refuses timestamps more than 5 minutes in the past or the future', () => {
    const at = (offsetS: number) => signPayload(SECRET, body, now + offsetS * 1000);
    expect(verifySignature(at(-300), body, [SECRET], { nowMs: now }).ok).toBe(true);
    expect(verifySignature(at(300), body, [SECRET], { nowMs: now }).ok).toBe(true);
    expect(verifySignature(at(-301), body, [SECRET], { nowMs: now })).toEqual({ ok: false, reason: 'stale' });
    expect(verifySignature(at(301), body, [SECRET], { nowMs: now })).toEqual({ ok: false, reason: 'stale' });
  });

  it('accepts any of several secrets (grace period) and any of several v1 values', () => {
    const header = signPayload(OTHER, body, now);
    expect(verifySignature(header, body, [SECRET, OTHER], { nowMs: now })).toMatchObject({
      ok: true,
      secretIndex: 1,
    });
    const t = Math.floor(now / 1000);
    const both = `t=${t},v1=${'0'.repeat(64)},v1=${header.split('v1=')[1]}`;
    expect(verifySignature(both, body, [OTHER], { nowMs: now }).ok).toBe(true);
    expect(parseSignatureHeader(both)?.signatures).toHaveLength(2);
  });

  it('signs the exact bytes (re-serialised JSON does not verify)', () => {
    const header = signPayload(SECRET, body, now);
    expect(
      verifySignature(header, JSON.stringify(JSON.parse(body), null, 2), [SECRET], { nowMs: now }).ok,
    ).toBe(false);
    expect(verifySignature(header, Buffer.from(body), [SECRET], { nowMs: now }).ok).toBe(true);
  });
});
