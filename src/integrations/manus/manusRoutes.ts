import { type NextFunction, type Request, type Response, Router } from 'express';
import { AppError } from '../../core/errors.js';
import { manusEvents, manusTaskIdOf } from '../../core/providers/connectors/manus.js';
import {
  checkManusWebhookHeaders,
  verifyManusWebhook,
} from '../../core/providers/connectors/manusWebhook.js';
import type { Logger } from '../../logger.js';
import { bodyBytes, rawBody, requireJson } from '../rawBody.js';

/**
 * Manus posts task events to `POST /api/integrations/manus/webhook`. Each delivery is verified
 * (RSA-SHA256 over `{timestamp}.{url}.{sha256(body)}`, 5-minute window) with Manus's public key,
 * then wakes the connector that is polling that Manus task, so results arrive without waiting for
 * the next poll. The poller stays the source of truth: a lost or unverifiable webhook only costs
 * one poll interval.
 */
export interface ManusWebhookOptions {
  logger: Logger;
  /** The public base URL Manus was given (PUBLIC_URL), read on each delivery: the signed string contains the full URL. */
  publicUrl: () => string;
  /** Manus's public key (PEM). Cached by the caller; `refresh` asks for a fresh one after a failure. */
  publicKey: (opts?: { refresh?: boolean }) => Promise<string | null>;
}

export const MANUS_WEBHOOK_PATH = '/api/integrations/manus/webhook';

/**
 * Manus documents no size for its webhook deliveries; they carry a task's events (status, the final
 * message text and attachment URLs, not files), so 1 MB is ample and is what we read at most.
 */
export const MANUS_BODY_LIMIT = '1mb';

const reject = (reason: string) =>
  new AppError('invalid_signature', `Manus webhook rejected: ${reason.replaceAll('_', ' ')}`);

export function manusWebhookRoutes(opts: ManusWebhookOptions): Router {
  const router = Router();
  router.post(
    '/webhook',
    requireJson,
    // Headers and timestamp first: junk costs neither a body read nor a key fetch.
    (req: Request, _res: Response, next: NextFunction) => {
      const pre = checkManusWebhookHeaders({ headers: req.headers });
      next(pre.ok ? undefined : reject(pre.reason));
    },
    rawBody(MANUS_BODY_LIMIT),
    async (req: Request, res: Response, next: NextFunction) => {
      try {
        const body = bodyBytes(req);
        const url = `${opts.publicUrl()}${req.originalUrl}`;
        let key = await opts.publicKey();
        if (!key)
          throw new AppError(
            'unavailable',
            'No Manus provider is configured, so its webhooks cannot be verified',
          );
        let result = verifyManusWebhook({ headers: req.headers, rawBody: body, url, publicKeyPem: key });
        if (!result.ok && result.reason === 'invalid_signature') {
          // Manus may have rotated its key: ask for it again (the source fetches at most once per
          // 5 minutes, whatever the number of bad signatures) and retry if it changed.
          const fresh = await opts.publicKey({ refresh: true });
          if (fresh && fresh !== key) {
            key = fresh;
            result = verifyManusWebhook({ headers: req.headers, rawBody: body, url, publicKeyPem: key });
          }
        }
        if (!result.ok) throw reject(result.reason);
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

/**
 * Fetches Manus's webhook public key (`GET /v2/webhook.publicKey`) with the admin's Manus API key
 * and caches it for an hour. A webhook is unauthenticated until verified, so the fetch must not be
 * something a stranger can trigger at will: concurrent callers share one fetch in flight, and
 * fetches (for an expired key, a `refresh` after a bad signature, or after a failed fetch) happen
 * at most once per `minRefreshMs` (5 minutes); in between, the key in hand is used (or the last
 * failure repeated). A key Manus rotates is therefore picked up within 5 minutes; a webhook lost
 * meanwhile only costs the connector one poll interval.
 */
export function manusPublicKeySource(
  source: () => Promise<{ baseUrl: string; apiKey: string } | null>,
  opts: { fetch?: typeof fetch; ttlMs?: number; minRefreshMs?: number; now?: () => number } = {},
) {
  const doFetch = opts.fetch ?? fetch;
  const ttl = opts.ttlMs ?? 3_600_000;
  const minRefresh = opts.minRefreshMs ?? 300_000;
  const now = opts.now ?? Date.now;
  let cached: { pem: string; at: number } | null = null;
  let lastFetchAt = Number.NEGATIVE_INFINITY;
  let lastError: unknown = null;
  let inFlight: Promise<string | null> | null = null;

  const load = async (): Promise<string | null> => {
    const account = await source();
    if (!account) return null;
    lastFetchAt = now();
    try {
      const res = await doFetch(`${account.baseUrl.replace(/\/+$/, '')}/v2/webhook.publicKey`, {
        headers: { 'x-manus-api-key': account.apiKey, accept: 'application/json' },
        signal: AbortSignal.timeout(10_000),
      });
      if (!res.ok)
        throw new AppError(
          'unavailable',
          `Could not fetch the Manus webhook public key (HTTP ${res.status})`,
        );
      const pem = findPem(await res.json().catch(() => null));
      if (!pem) throw new AppError('unavailable', 'The Manus webhook public key response held no PEM key');
      cached = { pem, at: now() };
      lastError = null;
      return pem;
    } catch (e) {
      lastError = e;
      if (cached) return cached.pem;
      throw e;
    }
  };

  return async ({ refresh = false }: { refresh?: boolean } = {}): Promise<string | null> => {
    if (inFlight) return inFlight;
    const t = now();
    if (!refresh && cached && t - cached.at < ttl) return cached.pem;
    if (t - lastFetchAt < minRefresh) {
      if (cached) return cached.pem;
      if (lastError) throw lastError;
    }
    inFlight = load().finally(() => {
      inFlight = null;
    });
    return inFlight;
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
