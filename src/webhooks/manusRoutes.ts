import { type NextFunction, type Request, type Response, Router } from 'express';
import { AppError } from '../core/errors.js';
import { manusEvents, manusTaskIdOf } from '../core/providers/connectors/manus.js';
import { verifyManusWebhook } from '../core/providers/connectors/manusWebhook.js';
import type { Logger } from '../logger.js';
import { bodyBytes, rawBody, requireJson } from './rawBody.js';

/**
 * Manus posts task events to `POST /api/integrations/manus/webhook`. Each delivery is verified
 * (RSA-SHA256 over `{timestamp}.{url}.{sha256(body)}`, 5-minute window) with Manus's public key,
 * then wakes the connector that is polling that Manus task, so results arrive without waiting for
 * the next poll. The poller stays the source of truth: a lost or unverifiable webhook only costs
 * one poll interval.
 */
export interface ManusWebhookOptions {
  logger: Logger;
  /** The public base URL Manus was given (PUBLIC_URL): the signed string contains the full URL. */
  publicUrl: string;
  /** Manus's public key (PEM). Cached by the caller; `refresh` asks for a fresh one after a failure. */
  publicKey: (opts?: { refresh?: boolean }) => Promise<string | null>;
}

export const MANUS_WEBHOOK_PATH = '/api/integrations/manus/webhook';

export function manusWebhookRoutes(opts: ManusWebhookOptions): Router {
  const router = Router();
  router.post(
    '/webhook',
    requireJson,
    rawBody('1mb'),
    async (req: Request, res: Response, next: NextFunction) => {
      try {
        const body = bodyBytes(req);
        const url = `${opts.publicUrl.replace(/\/+$/, '')}${req.originalUrl}`;
        let key = await opts.publicKey();
        if (!key)
          throw new AppError(
            'unavailable',
            'No Manus provider is configured, so its webhooks cannot be verified',
          );
        let result = verifyManusWebhook({ headers: req.headers, rawBody: body, url, publicKeyPem: key });
        if (!result.ok && result.reason === 'invalid_signature') {
          // Manus may have rotated its key: fetch it once more before refusing.
          key = await opts.publicKey({ refresh: true });
          if (key)
            result = verifyManusWebhook({ headers: req.headers, rawBody: body, url, publicKeyPem: key });
        }
        if (!result.ok)
          throw new AppError(
            'invalid_signature',
            `Manus webhook rejected: ${result.reason.replaceAll('_', ' ')}`,
          );
        let payload: unknown;
        try {
          payload = JSON.parse(body.toString('utf8'));
        } catch {
          throw new AppError('invalid_json', 'The request body is not valid JSON');
        }
        const taskId = manusTaskIdOf(payload);
        if (taskId) manusEvents.notify(taskId, payload);
        else opts.logger.debug('Manus webhook without a task id ignored');
        res.status(200).json({ ok: true });
      } catch (e) {
        next(e);
      }
    },
  );
  return router;
}

/** Fetches Manus's webhook public key (`GET /v2/webhook.publicKey`) and caches it for an hour. */
export function manusPublicKeySource(
  source: () => Promise<{ baseUrl: string; apiKey: string } | null>,
  opts: { fetch?: typeof fetch; ttlMs?: number } = {},
) {
  const doFetch = opts.fetch ?? fetch;
  const ttl = opts.ttlMs ?? 3_600_000;
  let cached: { pem: string; at: number } | null = null;
  return async ({ refresh = false }: { refresh?: boolean } = {}): Promise<string | null> => {
    if (!refresh && cached && Date.now() - cached.at < ttl) return cached.pem;
    const account = await source();
    if (!account) return null;
    const res = await doFetch(`${account.baseUrl.replace(/\/+$/, '')}/v2/webhook.publicKey`, {
      headers: { 'x-manus-api-key': account.apiKey, accept: 'application/json' },
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok)
      throw new AppError('unavailable', `Could not fetch the Manus webhook public key (HTTP ${res.status})`);
    const pem = findPem(await res.json().catch(() => null));
    if (!pem) throw new AppError('unavailable', 'The Manus webhook public key response held no PEM key');
    cached = { pem, at: Date.now() };
    return pem;
  };
}

/** The docs show the key inside a JSON envelope whose field name varies by version: take the PEM. */
function findPem(value: unknown, depth = 0): string | null {
  if (typeof value === 'string') return value.includes('BEGIN PUBLIC KEY') ? value : null;
  if (!value || typeof value !== 'object' || depth > 4) return null;
  for (const v of Object.values(value)) {
    const found = findPem(v, depth + 1);
    if (found) return found;
  }
  return null;
}
