import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { manusSignedString, verifyManusWebhook } from '../../src/core/providers/connectors/manus.js';

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });

const URL_ = 'https://switchyard.example.com/api/webhooks/manus?account=7';
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const TS = String(Math.floor(NOW / 1000));
const BODY = JSON.stringify({
  event_id: 'task_stopped_task_abc',
  event_type: 'task_stopped',
  task_detail: { task_id: 'task_abc', message: 'done', stop_reason: 'finish', attachments: [] },
});

/** Sign the way the Manus docs describe: RSA-SHA256 over `{timestamp}.{url}.{sha256_hex(body)}`. */
function signed(o: { ts?: string; url?: string; body?: string; key?: typeof privateKey } = {}) {
  const ts = o.ts ?? TS;
  const body = o.body ?? BODY;
  const content = `${ts}.${o.url ?? URL_}.${createHash('sha256').update(body).digest('hex')}`;
  return {
    'X-Webhook-Signature': sign('sha256', Buffer.from(content), o.key ?? privateKey).toString('base64'),
    'X-Webhook-Timestamp': ts,
  };
}

describe('verifyManusWebhook', () => {
  it('accepts a correctly signed delivery (Headers object or plain headers, any case)', () => {
    expect(
      verifyManusWebhook({ headers: signed(), rawBody: BODY, url: URL_, publicKeyPem, now: NOW }),
    ).toEqual({
      ok: true,
      timestamp: Number(TS),
    });
    const lower = Object.fromEntries(Object.entries(signed()).map(([k, v]) => [k.toLowerCase(), v]));
    expect(
      verifyManusWebhook({
        headers: new Headers(lower),
        rawBody: Buffer.from(BODY),
        url: URL_,
        publicKeyPem,
        now: new Date(NOW),
      }).ok,
    ).toBe(true);
  });

  it('documents the signed string', () => {
    const hash = createHash('sha256').update(BODY).digest('hex');
    expect(manusSignedString(TS, URL_, BODY)).toBe(`${TS}.${URL_}.${hash}`);
  });

  it('rejects a tampered body', () => {
    const tampered = BODY.replace('"finish"', '"ask"');
    expect(
      verifyManusWebhook({ headers: signed(), rawBody: tampered, url: URL_, publicKeyPem, now: NOW }),
    ).toEqual({
      ok: false,
      reason: 'invalid_signature',
    });
  });

  it('rejects a stale timestamp (older than 5 minutes) and one too far in the future', () => {
    const old = String(Number(TS) - 301);
    expect(
      verifyManusWebhook({ headers: signed({ ts: old }), rawBody: BODY, url: URL_, publicKeyPem, now: NOW }),
    ).toEqual({
      ok: false,
      reason: 'stale_timestamp',
    });
    const future = String(Number(TS) + 301);
    expect(
      verifyManusWebhook({
        headers: signed({ ts: future }),
        rawBody: BODY,
        url: URL_,
        publicKeyPem,
        now: NOW,
      }).ok,
    ).toBe(false);
    const edge = String(Number(TS) - 299);
    expect(
      verifyManusWebhook({ headers: signed({ ts: edge }), rawBody: BODY, url: URL_, publicKeyPem, now: NOW })
        .ok,
    ).toBe(true);
  });

  it('rejects a replayed signature with a fresh timestamp header (the timestamp is signed)', () => {
    const headers = { ...signed({ ts: String(Number(TS) - 600) }), 'X-Webhook-Timestamp': TS };
    expect(verifyManusWebhook({ headers, rawBody: BODY, url: URL_, publicKeyPem, now: NOW }).ok).toBe(false);
  });

  it('rejects another URL, another key, and missing or malformed headers', () => {
    expect(
      verifyManusWebhook({
        headers: signed(),
        rawBody: BODY,
        url: 'https://switchyard.example.com/api/webhooks/manus',
        publicKeyPem,
        now: NOW,
      }).ok,
    ).toBe(false);
    expect(
      verifyManusWebhook({
        headers: signed({ key: other.privateKey }),
        rawBody: BODY,
        url: URL_,
        publicKeyPem,
        now: NOW,
      }).ok,
    ).toBe(false);
    expect(verifyManusWebhook({ headers: {}, rawBody: BODY, url: URL_, publicKeyPem, now: NOW })).toEqual({
      ok: false,
      reason: 'missing_signature',
    });
    expect(
      verifyManusWebhook({
        headers: { 'x-webhook-signature': 'abc' },
        rawBody: BODY,
        url: URL_,
        publicKeyPem,
        now: NOW,
      }),
    ).toEqual({ ok: false, reason: 'missing_timestamp' });
    expect(
      verifyManusWebhook({
        headers: { ...signed(), 'X-Webhook-Timestamp': '12:00' },
        rawBody: BODY,
        url: URL_,
        publicKeyPem,
        now: NOW,
      }),
    ).toEqual({ ok: false, reason: 'invalid_timestamp' });
    expect(
      verifyManusWebhook({
        headers: signed(),
        rawBody: BODY,
        url: URL_,
        publicKeyPem: 'not a key',
        now: NOW,
      }),
    ).toEqual({
      ok: false,
      reason: 'invalid_public_key',
    });
  });
});
