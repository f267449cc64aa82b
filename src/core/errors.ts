/**
 * Typed errors with stable codes. Adapters map them to transport responses in one place
 * (src/api/errorHandler.ts for HTTP); core code throws them and never thinks about status codes.
 */

/** Every stable code, and whose fault it is: the caller's ('client': fix the request) or ours ('server'). */
const ERROR_FAULT = {
  validation_failed: 'client',
  invalid_json: 'client',
  bad_request: 'client',
  unauthorized: 'client',
  invalid_credentials: 'client',
  invalid_signature: 'client',
  forbidden: 'client',
  registration_closed: 'client',
  account_suspended: 'client',
  password_login_disabled: 'client',
  domain_not_allowed: 'client',
  not_found: 'client',
  conflict: 'client',
  not_awaiting_approval: 'client',
  email_unverified: 'client',
  invite_used: 'client',
  invite_expired: 'client',
  payload_too_large: 'client',
  unsupported_media_type: 'client',
  content_too_large: 'client',
  budget_exceeded: 'client',
  rate_limited: 'client',
  internal_error: 'server',
  provider_error: 'server',
  unavailable: 'server',
} as const satisfies Record<string, 'client' | 'server'>;

export type ErrorCode = keyof typeof ERROR_FAULT;

export const isErrorCode = (code: string): code is ErrorCode => Object.hasOwn(ERROR_FAULT, code);

/** The caller's fault (a refusal to show them), as opposed to ours (a failure to log). */
export const isClientErrorCode = (code: ErrorCode): boolean => ERROR_FAULT[code] === 'client';

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;
  /** Seconds, for rate_limited / unavailable answers. */
  readonly retryAfter?: number;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { details?: unknown; retryAfter?: number; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'AppError';
    this.code = code;
    this.details = opts.details;
    this.retryAfter = opts.retryAfter;
  }
}

export const notFound = (what = 'Resource') => new AppError('not_found', `${what} not found`);
export const conflict = (message: string, details?: unknown) =>
  new AppError('conflict', message, { details });
export const forbidden = (message = 'You do not have permission to do that') =>
  new AppError('forbidden', message);
export const unauthorized = (message = 'Authentication required') => new AppError('unauthorized', message);
export const badRequest = (message: string, details?: unknown) =>
  new AppError('validation_failed', message, { details });

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

/**
 * A provider answered and said no (refusal, invalid request, auth failure): trying another provider
 * with the same request will not help, so the router fails fast.
 */
export class ProviderRejected extends Error {
  readonly kind = 'rejected' as const;
  constructor(
    message: string,
    readonly info: { status?: number; code?: string; providerKind?: string } = {},
  ) {
    super(message);
    this.name = 'ProviderRejected';
  }
}

/**
 * We could not get an answer (rate limit, 5xx, timeout, connection failure, cut stream): the router
 * marks the provider's health and moves on to the next candidate.
 */
export class ProviderUnavailable extends Error {
  readonly kind = 'unavailable' as const;
  constructor(
    message: string,
    readonly info: {
      status?: number;
      code?: string;
      reason: 'rate_limit' | 'server_error' | 'timeout' | 'connection' | 'stream_cut' | 'other';
      retryAfterMs?: number;
      providerKind?: string;
    },
  ) {
    super(message);
    this.name = 'ProviderUnavailable';
  }
}

/** The call was aborted by us (task cancelled or shutting down). */
export class ProviderAborted extends Error {
  readonly kind = 'aborted' as const;
  constructor(message = 'The provider call was aborted') {
    super(message);
    this.name = 'ProviderAborted';
  }
}

export type ProviderError = ProviderRejected | ProviderUnavailable | ProviderAborted;
