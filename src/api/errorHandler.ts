import type { ErrorRequestHandler, RequestHandler } from 'express';
import { isDatabaseUnavailable } from '../core/databaseErrors.js';
import { AppError, type ErrorCode, isAppError } from '../core/errors.js';
import { describeError, type Logger } from '../logger.js';

/** The HTTP status of each error code: the only place codes become statuses. */
export const errorStatus = {
  validation_failed: 400,
  invalid_json: 400,
  bad_request: 400,
  unauthorized: 401,
  invalid_credentials: 401,
  invalid_signature: 401,
  forbidden: 403,
  registration_closed: 403,
  account_suspended: 403,
  password_login_disabled: 403,
  domain_not_allowed: 403,
  not_found: 404,
  conflict: 409,
  not_awaiting_approval: 409,
  email_unverified: 409,
  invite_used: 410,
  invite_expired: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  content_too_large: 422,
  budget_exceeded: 422,
  rate_limited: 429,
  internal_error: 500,
  provider_error: 502,
  unavailable: 503,
} as const satisfies Record<ErrorCode, number>;

/** Seconds a client should wait before retrying while the database is unreachable. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/** Translates body-parser's errors (which carry a `type`) into our codes. */
function fromParserError(err: { type?: string; status?: number; message?: string }): AppError | null {
  switch (err.type) {
    case 'entity.parse.failed':
      return new AppError('invalid_json', 'The request body is not valid JSON');
    case 'entity.too.large':
      return new AppError('payload_too_large', 'The request body is too large');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('unsupported_media_type', 'Unsupported body encoding or charset');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new AppError('bad_request', 'The request body could not be read');
    default:
      if (err.status === 413) return new AppError('payload_too_large', 'The request body is too large');
      if (err instanceof URIError)
        return new AppError('bad_request', 'The request path is not valid (malformed %-encoding)');
      return null;
  }
}

/**
 * A safety net for database errors that validation should have caught: bad data (SQLSTATE class 22)
 * is the client's fault, a unique violation is a conflict. Neither leaks SQL to the client. A
 * database that cannot be reached (down, restarting, refusing connections) is a 503 with
 * Retry-After: the pools reconnect by themselves once it is back.
 */
function fromDatabaseError(err: { code?: unknown; severity?: unknown; cause?: unknown }): AppError | null {
  if (isDatabaseUnavailable(err))
    return new AppError('unavailable', 'The database is unavailable right now; try again shortly', {
      retryAfter: DATABASE_RETRY_AFTER_SECONDS,
      cause: err,
    });
  const pgErr = (typeof err?.code === 'string' && err.severity ? err : (err?.cause as typeof err)) ?? null;
  const code = typeof pgErr?.code === 'string' ? pgErr.code : '';
  if (!/^[0-9A-Z]{5}$/.test(code) || !pgErr?.severity) return null;
  if (code.startsWith('22'))
    return new AppError('validation_failed', 'A value in the request is not acceptable');
  if (code === '23505') return new AppError('conflict', 'That already exists');
  return null;
}

/** What an error answers: its status, its body, and the Retry-After seconds it asks for. */
export interface ErrorReply {
  status: number;
  body: unknown;
  retryAfter?: number;
}

/**
 * Turns an error into its reply (and logs it as the error handler does): shared by the Express
 * error handler and the gateway's lean HTTP path (src/api/routes/gatewayFast.ts).
 */
export function errorReply(
  logger: Logger,
  present: (e: AppError) => unknown,
): (err: unknown, req: { requestId?: string; method?: string; path: string }) => ErrorReply {
  return (err, req) => {
    const appErr = isAppError(err)
      ? err
      : (fromParserError((err ?? {}) as object) ?? fromDatabaseError((err ?? {}) as object));
    if (appErr) {
      if (appErr.code === 'unavailable' && appErr.cause) {
        // The database is down: expected to heal, so a warning, not an error per request.
        const { message, code } = describeError(appErr.cause);
        logger.warn(appErr.message, { requestId: req.requestId, code: appErr.code, err: { message, code } });
      } else if (errorStatus[appErr.code] >= 500) {
        logger.error(appErr.message, { requestId: req.requestId, code: appErr.code });
      }
      return {
        status: errorStatus[appErr.code],
        body: present(appErr),
        ...(appErr.retryAfter !== undefined ? { retryAfter: Math.max(1, Math.ceil(appErr.retryAfter)) } : {}),
      };
    }
    logger.error('Unhandled error', { requestId: req.requestId, method: req.method, path: req.path, err });
    return {
      status: 500,
      body: present(
        new AppError('internal_error', `Something went wrong on our side (request ${req.requestId})`),
      ),
    };
  };
}

/** The one error handler: every error becomes {"error":{code,message,details?}}; no stacks or SQL leak. */
export function errorHandler(
  logger: Logger,
  /** The body for an error (the gateway answers OpenAI's shape); API.md's shape by default. */
  present: (e: AppError) => unknown = (e) => ({
    error: {
      code: e.code,
      message: e.message,
      ...(e.details !== undefined ? { details: e.details } : {}),
    },
  }),
): ErrorRequestHandler {
  const reply = errorReply(logger, present);
  return (err, req, res, _next) => {
    if (res.headersSent) {
      logger.error('Error after response started', {
        requestId: req.requestId,
        err: (err as Error)?.message,
      });
      res.end();
      return;
    }
    const r = reply(err, req);
    if (r.retryAfter !== undefined) res.setHeader('Retry-After', String(r.retryAfter));
    res.status(r.status).json(r.body);
  };
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new AppError('not_found', `No route for ${req.method} ${req.path}`));
};
