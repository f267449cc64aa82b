import type { RequestHandler } from 'express';
import type { AuthService } from '../../core/auth/authService.js';
import { AppError } from '../../core/errors.js';

/**
 * Resolves `Authorization: Bearer …` into req.principal. A missing header is fine here (routes
 * decide whether they need auth); a present but bad token is a 401 straight away.
 */
export function authenticate(auth: AuthService): RequestHandler {
  return async (req, _res, next) => {
    const header = req.get('authorization');
    if (!header) return next();
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    try {
      if (!m) throw new AppError('unauthorized', 'Use Authorization: Bearer <token>');
      req.principal = await auth.authenticate(m[1]!);
      next();
    } catch (e) {
      next(e);
    }
  };
}
