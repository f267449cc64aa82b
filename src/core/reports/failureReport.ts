/**
 * Failure reasons (issue 16): failed attempts of a date range grouped by their `error_code`, with a
 * readable label per code. Authorised like the usage report (ReportService.failures).
 */

export interface FailureQuery {
  from: Date;
  to: Date;
  /** Only this team's tasks' attempts; unset = every attempt (site admins). */
  teamId?: string;
}

export interface FailureRow {
  /** The attempts' `error_code`; `unknown` when none was recorded. */
  code: string;
  label: string;
  /** Failed attempts with this code in the range. */
  attempts: number;
  /** Distinct tasks that ended failed and had at least one such attempt in the range. */
  tasks: number;
  /** Providers (by name) those attempts went to, sorted. */
  providers: string[];
  /** When the most recent such attempt was made (ISO). */
  lastAt: string;
  /** The most recent such attempt's error message (redacted when stored), at most 200 characters. */
  example: string | null;
}

/** The longest `example` shown. */
export const FAILURE_EXAMPLE_CHARS = 200;

/** A readable sentence per stored attempt code (src/core/routing/routedExecutor.ts `errorCode`). */
export const FAILURE_LABELS: Readonly<Record<string, string>> = {
  unknown: 'Failed without a recorded reason',
  rate_limit: 'The provider rate-limited the request',
  rate_limit_exceeded: 'The provider rate-limited the request',
  insufficient_quota: 'The provider account ran out of quota',
  server_error: 'The provider answered with a server error',
  timeout: 'The provider did not answer in time',
  connection: 'Could not connect to the provider',
  stream_cut: 'The provider’s answer stream was cut off',
  other: 'The provider was unavailable',
  auth: 'The provider refused the account’s credentials',
  invalid_key: 'The provider refused the account’s credentials',
  not_found: 'The provider does not know the model or endpoint',
  model_not_found: 'The provider does not know the model',
  misconfigured: 'The provider or account is misconfigured',
  refusal: 'The model refused the request',
  content_filter: 'The provider’s content filter blocked the request',
  protocol_error: 'The provider’s answer could not be understood',
  rejected: 'The provider rejected the request',
  worker_lost: 'The worker running the attempt stopped before it finished',
  budget_exceeded: 'A budget did not allow the attempt',
};

/** The label of a code: the map's sentence, `HTTP nnn from the provider`, or the code itself. */
export function failureLabel(code: string): string {
  const known = FAILURE_LABELS[code];
  if (known) return known;
  const http = /^http_(\d{3})$/.exec(code);
  return http ? `The provider answered HTTP ${http[1]}` : code;
}

export const FAILURE_CSV_COLUMNS = [
  'code',
  'label',
  'attempts',
  'tasks',
  'providers',
  'lastAt',
  'example',
] as const satisfies ReadonlyArray<keyof FailureRow>;
