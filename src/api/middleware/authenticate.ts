import type { RequestHandler } from 'express';
import type { AuthService } from '../../core/auth/authService.js';
import { AppError } from '../../core/errors.js';

const failures = new WeakMap<object, unknown>();

/**
 * Resolves `Authorization: Bearer …` into req.principal. A missing header is fine (routes decide
 * whether they need auth). A present but bad token is remembered, not answered yet: the rate limit
 * that runs next must count it against the client address (no principal was verified), and
 * `rejectBadCredentials` answers 401 right after.
 */
export function resolvePrincipal(auth: AuthService): RequestHandler {
  return async (req, _res, next) => {
    const header = req.get('authorization');
    if (!header) return next();
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    try {
      if (!m) throw new AppError('unauthorized', 'Use Authorization: Bearer <token>');
      req.principal = await auth.authenticate(m[1]!);
    } catch (e) {
      failures.set(req, e);
    }
    next();
  };
}

/** Answers the credentials failure resolvePrincipal remembered (401), if any. */
export const rejectBadCredentials: RequestHandler = (req, _res, next) => {
  if (failures.has(req)) {
    const e = failures.get(req);
    failures.delete(req);
    next(e);
    return;
  }
  next();
};

/** Both steps at once, for routers that need no rate limit between them. */
export function authenticate(auth: AuthService): RequestHandler {
  const resolve = resolvePrincipal(auth);
  return (req, res, next) => {
    resolve(req, res, (err?: unknown) => (err ? next(err) : rejectBadCredentials(req, res, next)));
  };
}
