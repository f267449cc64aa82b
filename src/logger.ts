import { AsyncLocalStorage } from 'node:async_hooks';
import winston from 'winston';
import type { Log } from './core/log.js';

/**
 * Structured logging with winston: JSON in production, pretty in development. Secrets are
 * redacted by key name and by shape before anything is written.
 */
export interface Logger extends Log {
  child(scope: Record<string, unknown>): Logger;
}

const SECRET_KEYS =
  /^(password|currentpassword|newpassword|passwordhash|secret|token|accesstoken|refreshtoken|apikey|api_key|authorization|cookie|credentials|signingsecret|privatekey|encryptionkey|jwtsecret|x-api-key|x-slack-signature|x-hub-signature-256|x-switchyard-signature)$/i;

// Shapes of well-known secrets, redacted wherever they appear in a string.
const SECRET_PATTERNS: RegExp[] = [
  /\bBearer\s+[A-Za-z0-9._~+/=-]{8,}/g,
  /\bsk-[A-Za-z0-9_-]{8,}/g,
  /\bsk-ant-[A-Za-z0-9_-]{8,}/g,
  /\bxai-[A-Za-z0-9_-]{8,}/g,
  /\bxox[abprs]-[A-Za-z0-9-]{8,}/g,
  /\bsy_(?:pat|rt|whs|sh)_[A-Za-z0-9_-]{8,}/g,
  /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{5,}/g,
  /\b\d{6,}:[A-Za-z0-9_-]{30,}\b/g, // Telegram bot tokens
];

const extraSecrets = new Set<string>();

/** Registers literal secret values (configured keys and tokens) that must never be logged. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 6) extraSecrets.add(value);
}

export function redactString(s: string): string {
  let out = s;
  for (const secret of extraSecrets) if (out.includes(secret)) out = out.split(secret).join('[REDACTED]');
  for (const re of SECRET_PATTERNS) out = out.replace(re, '[REDACTED]');
  return out;
}

const ERROR_FIELDS = ['code', 'errno', 'syscall', 'address', 'port', 'severity', 'detail', 'hint', 'routine'];

/**
 * An error (or an error-like object: pg-boss emits `{...err, message, stack, queue}`) as plain data
 * for a log line: message, code and the other driver fields, stack, cause. Never `[object Object]`.
 */
export function describeError(err: unknown, depth = 0): Record<string, unknown> {
  if (err === null || typeof err !== 'object') return { message: String(err) };
  const e = err as Record<string, unknown> & { errors?: unknown };
  const nested = Array.isArray(e.errors) ? e.errors : [];
  let message = typeof e.message === 'string' ? e.message : '';
  // Node's AggregateError for a refused connection to several addresses has an empty message.
  if (!message && nested.length) message = describeError(nested[0], depth + 1).message as string;
  if (!message) {
    try {
      message = err instanceof Error ? err.name : JSON.stringify(err);
    } catch {
      message = Object.prototype.toString.call(err);
    }
  }
  const out: Record<string, unknown> = { message };
  if (err instanceof Error && err.name !== 'Error') out.name = err.name;
  for (const k of [...ERROR_FIELDS, 'queue', 'worker']) {
    const v = e[k];
    if (v !== undefined && v !== null && v !== '' && typeof v !== 'object') out[k] = v;
  }
  if (typeof e.stack === 'string') out.stack = e.stack;
  if (e.cause !== undefined && depth < 3) out.cause = describeError(e.cause, depth + 1);
  return out;
}

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[…]';
  if (typeof value === 'string') return redactString(value);
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value instanceof Error) return redact(describeError(value), depth + 1);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      out[k] = SECRET_KEYS.test(k) ? '[REDACTED]' : redact(v, depth + 1);
    return out;
  }
  return value;
}

/** Fields every log line written inside `withLogContext` carries (`requestId`, `taskId`, `jobId`). */
const logContext = new AsyncLocalStorage<Record<string, unknown>>();

/** Runs `fn` with `fields` added to every log line it writes, its awaits and callbacks included. */
export function withLogContext<T>(fields: Record<string, unknown>, fn: () => T): T {
  return logContext.run({ ...logContext.getStore(), ...fields }, fn);
}

/** The current context's fields, under the line's own (a line's explicit `taskId` wins). */
const contextFormat = winston.format((info) => {
  const ctx = logContext.getStore();
  if (ctx) for (const [k, v] of Object.entries(ctx)) if (info[k] === undefined) info[k] = v;
  return info;
});

const redactFormat = winston.format((info) => {
  const out = info as Record<string | symbol, unknown>;
  for (const key of Object.keys(out)) {
    if (key === 'level') continue;
    out[key] = SECRET_KEYS.test(key) ? '[REDACTED]' : redact(out[key]);
  }
  return info;
});

export interface LoggerOptions {
  level?: string;
  json?: boolean;
  /** ANSI colours in the pretty format; default: only when stdout and stderr are terminals. */
  color?: boolean;
  /** Extra transport, e.g. an in-memory stream in tests that assert on captured logs. */
  stream?: NodeJS.WritableStream;
}

/** Pulls `stack` out of the meta's error fields, so the pretty format prints it below the line. */
function takeStacks(meta: Record<string, unknown>): string[] {
  const stacks: string[] = [];
  for (const v of Object.values(meta)) {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      if (typeof o.stack === 'string') {
        stacks.push(o.stack);
        delete o.stack;
      }
    }
  }
  return stacks;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? 'info';
  const color = opts.color ?? (!opts.stream && !!process.stdout.isTTY && !!process.stderr.isTTY);
  const format = opts.json
    ? winston.format.combine(
        contextFormat(),
        redactFormat(),
        winston.format.timestamp(),
        winston.format.json(),
      )
    : winston.format.combine(
        contextFormat(),
        redactFormat(),
        winston.format.timestamp({ format: 'HH:mm:ss' }),
        ...(color ? [winston.format.colorize()] : []),
        winston.format.printf(({ level: l, message, timestamp, ...meta }) => {
          const stacks = takeStacks(meta);
          const rest = Object.keys(meta).length ? ` ${JSON.stringify(meta)}` : '';
          const below = stacks.map((st) => `\n${st.replace(/^/gm, '    ')}`).join('');
          return `${timestamp} ${l} ${message}${rest}${below}`;
        }),
      );
  const transports: winston.transport[] = opts.stream
    ? [new winston.transports.Stream({ stream: opts.stream })]
    : [new winston.transports.Console({ stderrLevels: ['error', 'warn'] })];
  const w = winston.createLogger({
    level: level === 'silent' ? 'error' : level,
    silent: level === 'silent',
    format,
    transports,
  });
  return wrap(w);
}

/**
 * winston's level methods push every entry through its format and transport streams and filter by
 * level only at the transport: an entry below the logger's level is dropped here first (Bolt alone
 * logs several debug lines per Slack request).
 */
function wrap(w: winston.Logger): Logger {
  return {
    error: (m, meta) => w.error(m, meta),
    warn: (m, meta) => w.warn(m, meta),
    info: (m, meta) => {
      if (w.isLevelEnabled('info')) w.info(m, meta);
    },
    debug: (m, meta) => {
      if (w.isLevelEnabled('debug')) w.debug(m, meta);
    },
    child: (scope) => wrap(w.child(scope)),
  };
}
