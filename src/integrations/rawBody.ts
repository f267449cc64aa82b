import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { AppError } from '../core/errors.js';

/** 415 unless the request says it carries JSON (application/json or application/*+json). */
export const requireJson: RequestHandler = (req: Request, _res: Response, next: NextFunction) => {
  if (!req.is(['application/json', 'application/*+json'])) {
    next(new AppError('unsupported_media_type', 'Send the body as JSON with Content-Type: application/json'));
    return;
  }
  next();
};

/**
 * Keeps the exact bytes of the body (signatures are computed over them) as a Buffer in req.body,
 * up to `limit` (bytes, or '256kb' / '25mb'); a bigger body is refused with 413 payload_too_large.
 * A body declared bigger (Content-Length) is refused before a byte of it is read, and the
 * connection is closed rather than drained; one that only turns out bigger (chunked) is cut off at
 * the limit. Nothing is buffered beyond `limit`, and all of it before any signature check runs.
 */
export function rawBody(limit: string | number): RequestHandler {
  const max = toBytes(limit);
  const parse = express.raw({ type: () => true, limit: max, inflate: true });
  return (req, res, next) => {
    const declared = Number(req.get('content-length'));
    if (Number.isFinite(declared) && declared > max) {
      res.set('Connection', 'close');
      next(new AppError('payload_too_large', `The body is larger than ${max} bytes`));
      return;
    }
    parse(req, res, next);
  };
}

function toBytes(limit: string | number): number {
  if (typeof limit === 'number') return limit;
  const m = /^(\d+)\s*(b|kb|mb)?$/i.exec(limit.trim());
  if (!m) throw new Error(`Unreadable body limit "${limit}"`);
  const unit = (m[2] ?? 'b').toLowerCase();
  return Number(m[1]) * (unit === 'mb' ? 1024 * 1024 : unit === 'kb' ? 1024 : 1);
}

export function bodyBytes(req: Request): Buffer {
  return Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
}
