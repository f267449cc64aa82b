/**
 * Typed errors with stable codes. Adapters map them to transport responses in one place
 * (src/api/errorHandler.ts for HTTP); core code throws them and never thinks about status codes.
 */
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
} as const;

export type ErrorCode = keyof typeof errorStatus;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
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
    this.status = errorStatus[code];
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
