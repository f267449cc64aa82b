import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import { withLogContext } from '../../logger.js';

const VALID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request's id: the client's X-Request-Id when it is sane, a new UUID otherwise. */
export function requestIdOf(given: string | string[] | undefined): string {
  return typeof given === 'string' && VALID.test(given) ? given : randomUUID();
}

/**
 * Echoes a sane X-Request-Id or makes one, and puts it on every response. Everything the request
 * logs afterwards (handlers, services, the error handler) carries it as `requestId`.
 */
export const requestId: RequestHandler = (req, res, next) => {
  req.requestId = requestIdOf(req.get('x-request-id'));
  res.setHeader('X-Request-Id', req.requestId);
  withLogContext({ requestId: req.requestId }, next);
};
