import winston from 'winston';

/**
 * Structured logging with winston: JSON in production, pretty in development. Secrets are
 * redacted by key name and by shape before anything is written.
 */
export interface Logger {
  error(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  debug(message: string, meta?: Record<string, unknown>): void;
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

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[…]';
  if (typeof value === 'string') return redactString(value);
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value instanceof Error) {
    return {
      name: value.name,
      message: redactString(value.message),
      ...(value.stack ? { stack: redactString(value.stack) } : {}),
    };
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      out[k] = SECRET_KEYS.test(k) ? '[REDACTED]' : redact(v, depth + 1);
    return out;
  }
  return value;
}

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
  /** Extra transport, e.g. an in-memory stream in tests that assert on captured logs. */
  stream?: NodeJS.WritableStream;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? 'info';
  const format = opts.json
    ? winston.format.combine(redactFormat(), winston.format.timestamp(), winston.format.json())
    : winston.format.combine(
        redactFormat(),
        winston.format.timestamp({ format: 'HH:mm:ss' }),
        winston.format.colorize(),
        winston.format.printf(({ level: l, message, timestamp, ...meta }) => {
          const rest = Object.keys(meta).length ? ` ${JSON.stringify(meta)}` : '';
          return `${timestamp} ${l} ${message}${rest}`;
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

function wrap(w: winston.Logger): Logger {
  return {
    error: (m, meta) => w.error(m, meta),
    warn: (m, meta) => w.warn(m, meta),
    info: (m, meta) => w.info(m, meta),
    debug: (m, meta) => w.debug(m, meta),
    child: (scope) => wrap(w.child(scope)),
  };
}
