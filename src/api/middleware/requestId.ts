import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import { withLogContext } from '../../logger.js';

const VALID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Echoes a sane X-Request-Id or makes one, and puts it on every response. Everything the request
 * logs afterwards (handlers, services, the error handler) carries it as `requestId`.
 */
export const requestId: RequestHandler = (req, res, next) => {
  const given = req.get('x-request-id');
  req.requestId = given && VALID.test(given) ? given : randomUUID();
  res.setHeader('X-Request-Id', req.requestId);
  withLogContext({ requestId: req.requestId }, next);
};
