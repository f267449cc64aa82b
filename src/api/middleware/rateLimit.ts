import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { AppError } from '../../core/errors.js';

/** Rate limits answer our error shape with Retry-After (express-rate-limit sets the header). */
export function createRateLimit(opts: { perMinute: number; name: string }): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: opts.perMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    identifier: opts.name,
    handler: (_req, res, next, options) => {
      const resetTime = (res.req as { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const retryAfter = resetTime
        ? Math.max(1, Math.ceil((resetTime.getTime() - Date.now()) / 1000))
        : Math.ceil(options.windowMs / 1000);
      next(
        new AppError('rate_limited', 'Too many requests; slow down and try again shortly', { retryAfter }),
      );
    },
  });
}
