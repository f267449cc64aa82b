/**
 * The API's `{error: {code, message, details}}` as a typed error with a message fit for people.
 */

/** Codes the API uses (API.md, src/core/errors.ts) plus `network_error` for "no answer at all". */
export type ApiErrorCode =
  | 'validation_failed'
  | 'invalid_json'
  | 'bad_request'
  | 'unauthorized'
  | 'invalid_credentials'
  | 'invalid_signature'
  | 'forbidden'
  | 'registration_closed'
  | 'account_suspended'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'internal_error'
  | 'provider_error'
  | 'unavailable'
  | 'network_error'
  | (string & {});

const fallbackByCode: Record<string, string> = {
  validation_failed: 'Some of the values are not valid. Check the form and try again.',
  invalid_json: 'The request could not be read. Please try again.',
  bad_request: 'The request could not be processed.',
  unauthorized: 'Your session has ended. Please sign in again.',
  invalid_credentials: 'Wrong username, email or password.',
  forbidden: 'You do not have permission to do that.',
  registration_closed: 'Registration is closed. Ask an administrator for an account.',
  account_suspended: 'This account is suspended. Contact an administrator.',
  not_found: 'Not found. It may have been deleted, or it is not yours.',
  conflict: 'That conflicts with the current state. Reload and try again.',
  payload_too_large: 'That is too large to send.',
  unsupported_media_type: 'The server did not accept that kind of data.',
  rate_limited: 'Too many requests. Please wait a moment and try again.',
  internal_error: 'Something went wrong on our side. Please try again.',
  provider_error: 'The AI provider returned an error.',
  unavailable: 'The service is temporarily unavailable. Please try again shortly.',
  network_error: 'Cannot reach the server. Check your connection and try again.',
};

const fallbackByStatus = (status: number): { code: string; message: string } => {
  if (status === 400) return { code: 'validation_failed', message: fallbackByCode.validation_failed };
  if (status === 401) return { code: 'unauthorized', message: fallbackByCode.unauthorized };
  if (status === 403) return { code: 'forbidden', message: fallbackByCode.forbidden };
  if (status === 404) return { code: 'not_found', message: fallbackByCode.not_found };
  if (status === 409) return { code: 'conflict', message: fallbackByCode.conflict };
  if (status === 413) return { code: 'payload_too_large', message: fallbackByCode.payload_too_large };
  if (status === 415)
    return { code: 'unsupported_media_type', message: fallbackByCode.unsupported_media_type };
  if (status === 429) return { code: 'rate_limited', message: fallbackByCode.rate_limited };
  if (status === 503) return { code: 'unavailable', message: fallbackByCode.unavailable };
  if (status >= 500) return { code: 'internal_error', message: fallbackByCode.internal_error };
  return { code: 'bad_request', message: `The request failed (HTTP ${status}).` };
};

export class ApiError extends Error {
  readonly status: number;
  readonly code: ApiErrorCode;
  readonly details?: unknown;
  /** Seconds, from `Retry-After` on 429/503. */
  readonly retryAfter?: number;
  readonly requestId?: string;

  constructor(init: {
    status: number;
    code: ApiErrorCode;
    message: string;
    details?: unknown;
    retryAfter?: number;
    requestId?: string;
  }) {
    super(init.message);
    this.name = 'ApiError';
    this.status = init.status;
    this.code = init.code;
    this.details = init.details;
    this.retryAfter = init.retryAfter;
    this.requestId = init.requestId;
  }

  /** The message to show a person: the API's own message, plus a wait hint when rate limited. */
  get humanMessage(): string {
    if (this.code === 'rate_limited' && this.retryAfter !== undefined) {
      return `${this.message.replace(/\.?$/, '.')} Try again in ${this.retryAfter} second${this.retryAfter === 1 ? '' : 's'}.`;
    }
    return this.message;
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}

function isErrorBody(v: unknown): v is { error: { code?: unknown; message?: unknown; details?: unknown } } {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { error?: unknown }).error === 'object' &&
    (v as { error?: unknown }).error !== null
  );
}

function parseRetryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const date = Date.parse(header);
  if (!Number.isNaN(date)) return Math.max(0, Math.ceil((date - Date.now()) / 1000));
  return undefined;
}

/** Build an ApiError from a failed response. Never exposes a raw body (HTML error pages, stack traces). */
export async function errorFromResponse(res: Response): Promise<ApiError> {
  let body: unknown;
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('json')) {
    try {
      body = await res.json();
    } catch {
      body = undefined;
    }
  }
  const fallback = fallbackByStatus(res.status);
  const retryAfter = parseRetryAfter(res.headers.get('retry-after'));
  const requestId = res.headers.get('x-request-id') ?? undefined;
  if (isErrorBody(body)) {
    const code = typeof body.error.code === 'string' && body.error.code ? body.error.code : fallback.code;
    const message =
      typeof body.error.message === 'string' && body.error.message.trim()
        ? body.error.message
        : (fallbackByCode[code] ?? fallback.message);
    return new ApiError({
      status: res.status,
      code,
      message,
      details: body.error.details,
      retryAfter,
      requestId,
    });
  }
  return new ApiError({
    status: res.status,
    code: fallback.code,
    message: fallback.message,
    retryAfter,
    requestId,
  });
}

export function networkError(cause: unknown): ApiError {
  const err = new ApiError({ status: 0, code: 'network_error', message: fallbackByCode.network_error });
  (err as { cause?: unknown }).cause = cause;
  return err;
}

/** A message for any thrown value; unknown errors never leak their internals. */
export function messageOf(e: unknown): string {
  if (isApiError(e)) return e.humanMessage;
  return 'Something unexpected happened. Please try again.';
}

/**
 * Per-field messages from a `validation_failed` error's `details`. Accepts the shapes a zod-based
 * API commonly sends: an issues array (`[{path, message}]`), `{fieldErrors: {field: [msg]}}`
 * (zod's flatten), or a plain `{field: msg}` map.
 */
export function fieldErrors(e: unknown): Record<string, string> {
  if (!isApiError(e) || e.details === undefined || e.details === null) return {};
  const out: Record<string, string> = {};
  const d = e.details as unknown;
  const issues = Array.isArray(d)
    ? d
    : Array.isArray((d as { issues?: unknown }).issues)
      ? (d as { issues: unknown[] }).issues
      : null;
  if (issues) {
    for (const issue of issues) {
      if (typeof issue !== 'object' || issue === null) continue;
      const { path, field, message } = issue as { path?: unknown; field?: unknown; message?: unknown };
      // This API sends `{field: 'body.limitMicros', message}`; other zod APIs `{path: [...], message}`.
      const key = Array.isArray(path)
        ? path.join('.')
        : typeof path === 'string'
          ? path
          : typeof field === 'string'
            ? field.replace(/^(body|query|params)\./, '')
            : '';
      if (key && typeof message === 'string' && !(key in out)) out[key] = message;
    }
    return out;
  }
  if (typeof d === 'object') {
    const map = (d as { fieldErrors?: unknown }).fieldErrors ?? d;
    if (typeof map === 'object' && map !== null) {
      for (const [k, v] of Object.entries(map)) {
        if (typeof v === 'string') out[k] = v;
        else if (Array.isArray(v) && typeof v[0] === 'string') out[k] = v[0];
      }
    }
  }
  return out;
}
