/**
 * Recognises errors that mean "the database cannot be reached right now" (it is down, restarting or
 * refusing connections), as opposed to a bad query. Pure shape checks, no driver import: node-postgres
 * and drizzle errors, Node's socket errors, and wrappers that keep the original as `cause`.
 *
 * - SQLSTATE class 08 (connection exception), 57P01 admin_shutdown, 57P02 crash_shutdown,
 *   57P03 cannot_connect_now (starting up / shutting down), 53300 too_many_connections;
 * - ECONNREFUSED, ECONNRESET, EPIPE, ETIMEDOUT, EHOSTUNREACH (possibly inside an AggregateError);
 * - node-postgres' own messages for a dropped or unobtainable connection.
 */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTCONN',
]);
const MESSAGES = [
  /Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /Client has encountered a connection error and is not queryable/i,
  /Client was closed and is not queryable/i,
  /the database system is (starting up|shutting down|in recovery mode)/i,
  /terminating connection due to administrator command/i,
];

export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 5) return false;
  const e = err as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  if (/^08[0-9A-Z]{3}$/.test(code) || ['57P01', '57P02', '57P03', '53300'].includes(code)) return true;
  if (SOCKET_CODES.has(code)) return true;
  if (typeof e.message === 'string' && MESSAGES.some((re) => re.test(e.message as string))) return true;
  if (Array.isArray(e.errors) && e.errors.some((x) => isDatabaseUnavailable(x, depth + 1))) return true;
  return isDatabaseUnavailable(e.cause, depth + 1);
}

/**
 * Errors worth retrying as they are: the database is unavailable (above), or refused the statement
 * for a passing reason rather than for its data — 40001 serialization_failure, 40P01
 * deadlock_detected, 55P03 lock_not_available, 57014 query_canceled (statement timeout), and class
 * 53 (insufficient resources: out of memory, disk full, too many connections).
 */
export function isTransientDatabaseError(err: unknown, depth = 0): boolean {
  if (isDatabaseUnavailable(err)) return true;
  if (!err || typeof err !== 'object' || depth > 5) return false;
  const e = err as { code?: unknown; cause?: unknown; errors?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  if (['40001', '40P01', '55P03', '57014'].includes(code) || /^53[0-9A-Z]{3}$/.test(code)) return true;
  if (Array.isArray(e.errors) && e.errors.some((x) => isTransientDatabaseError(x, depth + 1))) return true;
  return isTransientDatabaseError(e.cause, depth + 1);
}
