import { Router } from 'express';
import { AppError, notFound } from '../../core/errors.js';
import type { HookService } from '../../core/webhooks/hookService.js';
import { SIGNATURE_HEADER } from '../../core/webhooks/signature.js';
import { bodyBytes, rawBody, requireJson } from '../rawBody.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** Our own limit (API.md): a prompt template's input, not a file upload. */
export const INBOUND_BODY_LIMIT = 256 * 1024;

/**
 * POST /api/webhooks/in/:hookId (mount this router at /api/webhooks/in) — a signed delivery from another tool. Answers 202 {taskId} (200
 * with the same taskId for a repeated Idempotency-Key), 401 for a missing, bad or stale signature,
 * 413 above 256 KB, 415 for non-JSON, 400 invalid_json / validation_failed (fields the template
 * needs that the body lacks), 404 for an unknown hook, 403 when the hook's creator is suspended or no
 * longer an admin, 409 while a delivery with the same Idempotency-Key is in flight. Mounted before
 * the JSON parser.
 */
export function inboundHookRoutes(deps: { hooks: HookService; bodyLimit?: number }): Router {
  const router = Router();
  router.post(
    '/:hookId',
    requireJson,
    rawBody(deps.bodyLimit ?? INBOUND_BODY_LIMIT),
    async (req, res, next) => {
      try {
        const hookId = String(req.params.hookId);
        if (!UUID.test(hookId)) throw notFound('Webhook');
        const key = req.get('idempotency-key');
        if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
          throw new AppError(
            'validation_failed',
            'Idempotency-Key must be 1 to 255 visible ASCII characters',
          );
        }
        const out = await deps.hooks.receive({
          hookId,
          rawBody: bodyBytes(req),
          signature: req.get(SIGNATURE_HEADER),
          idempotencyKey: key,
        });
        res
          .status(out.duplicate ? 200 : 202)
          .json({ taskId: out.taskId, ...(out.duplicate ? { duplicate: true } : {}) });
      } catch (e) {
        next(e);
      }
    },
  );
  return router;
}
