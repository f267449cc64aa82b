import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { AppError } from '../../core/errors.js';

/** The client's address as express sees it (`trust proxy` applies), IPv6 grouped by /56 as the library advises. */
const ipKey = (req: Request) => `ip:${ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? 'unknown')}`;

/**
 * Who a request counts against: the verified principal (set by resolvePrincipal, so a header alone
 * never picks a bucket) — the API token for token requests, the user for session requests — and the
 * client address for anonymous requests and for requests whose credentials failed.
 */
export function principalKey(req: Request): string {
  const p = req.principal;
  if (p?.apiTokenId) return `token:${p.apiTokenId}`;
  if (p) return `user:${p.user.id}`;
  return ipKey(req);
}

/** Rate limits answer our error shape with Retry-After (express-rate-limit sets the header). */
export function createRateLimit(opts: {
  perMinute: number;
  name: string;
  /** Defaults to the client address. */
  key?: (req: Request) => string;
}): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: opts.perMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    identifier: opts.name,
    keyGenerator: opts.key ?? ipKey,
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

/**
 * The /api limit, GitHub's model: authenticated requests count per principal (a whole company
 * behind one NAT no longer shares one budget, and one token cannot spend everyone's), anonymous
 * ones per client address. Each principal and each address has its own `perMinute`.
 */
export function createApiRateLimit(opts: { perMinute: number }): RequestHandler {
  return createRateLimit({ perMinute: opts.perMinute, name: 'api', key: principalKey });
}

/**
 * The limit in front of a signature-verified platform route (Slack, Discord, Telegram, GitHub,
 * Manus, inbound hooks). Those requests carry no principal we could trust before verifying them,
 * so they count per client address, in a bucket of their own per route: platform traffic neither
 * spends the API's budget nor is starved by it, and junk aimed at one integration cannot shut the
 * others. It runs before the body is read.
 */
export function createRawRouteLimit(opts: { perMinute: number; name: string }): RequestHandler {
  return createRateLimit({
    perMinute: opts.perMinute,
    name: `raw:${opts.name}`,
  });
}
