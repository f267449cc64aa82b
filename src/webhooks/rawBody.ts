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
 * up to `limit`; a bigger body is refused with 413 payload_too_large by the app's error handler.
 */
export function rawBody(limit: string | number): RequestHandler {
  return express.raw({ type: () => true, limit, inflate: true });
}

export function bodyBytes(req: Request): Buffer {
  return Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
}
