import { z } from 'zod';

/**
 * The one schema for every environment variable Switchyard reads. Only composition roots
 * (src/main.ts, scripts/, bench/, the test harness) call `parseEnv`; everything else receives
 * plain, typed options.
 */
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const optionalUrl = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()))
  .pipe(z.url().optional());

/** A base URL without trailing slashes, so that `${base}/path` is always right (PUBLIC_URL and friends). */
const optionalBaseUrl = optionalUrl.transform((v) => v?.replace(/\/+$/, ''));

const flag = (def: boolean) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return def;
      const s = v.trim().toLowerCase();
      if (['1', 'true', 'on', 'yes'].includes(s)) return true;
      if (['0', 'false', 'off', 'no'].includes(s)) return false;
      ctx.addIssue({ code: 'custom', message: 'expected on/off (true/false, 1/0)' });
      return z.NEVER;
    });

export const envSchema = z.object({
  // Server
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  PUBLIC_URL: optionalBaseUrl,
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'http', 'debug', 'silent']).default('info'),
  DATA_DIR: z.string().default('./data'),
  // Database
  DATABASE_URL: optionalString.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .optional(),
  ),
  DATABASE_POOL_MAX: z.coerce.number().int().min(2).max(500).default(20),
  // Secrets
  JWT_SECRET: optionalString.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  ENCRYPTION_KEY: optionalString.pipe(
    z
      .string()
      .refine((v) => Buffer.from(v, 'base64').length === 32, 'must be 32 bytes, base64-encoded')
      .optional(),
  ),
  // Bootstrap
  ADMIN_EMAIL: optionalString.pipe(z.email().optional()),
  ADMIN_PASSWORD: optionalString.pipe(z.string().min(8, 'must be at least 8 characters').optional()),
  ADMIN_USERNAME: z.string().default('admin'),
  // Providers
  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: optionalUrl,
  ANTHROPIC_API_KEY: optionalString,
  ANTHROPIC_BASE_URL: optionalUrl,
  XAI_API_KEY: optionalString,
  XAI_BASE_URL: optionalUrl,
  MANUS_API_KEY: optionalString,
  MANUS_BASE_URL: optionalUrl,
  MOCK_PROVIDER: z.enum(['on', 'off', 'auto']).default('auto'),
  /** The built-in Mock's streaming pace (fast but not instant); 0 sends each answer at once. */
  MOCK_TOKENS_PER_SECOND: z.coerce.number().int().min(0).max(1_000_000).default(200),
  // Slack
  SLACK_SIGNING_SECRET: optionalString,
  SLACK_BOT_TOKEN: optionalString,
  SLACK_API_URL: z.url().default('https://slack.com/api/'),
  // Discord
  DISCORD_PUBLIC_KEY: optionalString.pipe(
    z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex characters')
      .optional(),
  ),
  DISCORD_APPLICATION_ID: optionalString,
  DISCORD_BOT_TOKEN: optionalString,
  DISCORD_API_URL: z.url().default('https://discord.com/api'),
  // Telegram
  TELEGRAM_BOT_TOKEN: optionalString,
  TELEGRAM_WEBHOOK_SECRET: optionalString,
  TELEGRAM_API_ROOT: z
    .url()
    .default('https://api.telegram.org')
    .transform((v) => v.replace(/\/+$/, '')),
  TELEGRAM_MODE: z.enum(['webhook', 'polling']).default('webhook'),
  // GitHub
  GITHUB_WEBHOOK_SECRET: optionalString,
  // Team invites by e-mail (nodemailer); without SMTP_URL the invite link is shown to copy.
  SMTP_URL: optionalUrl,
  SMTP_FROM: z.string().default('Switchyard <switchyard@localhost>'),
  GITHUB_TOKEN: optionalString,
  GITHUB_API_URL: z
    .url()
    .default('https://api.github.com')
    .transform((v) => v.replace(/\/+$/, '')),
  // Sign-in with an identity provider (callbacks: PUBLIC_URL/api/auth/oauth/<provider>/callback)
  OIDC_ISSUER_URL: optionalUrl,
  OIDC_CLIENT_ID: optionalString,
  OIDC_CLIENT_SECRET: optionalString,
  OIDC_NAME: optionalString,
  OAUTH_GITHUB_CLIENT_ID: optionalString,
  OAUTH_GITHUB_CLIENT_SECRET: optionalString,
  OAUTH_GITHUB_BASE_URL: z.url().default('https://github.com'),
  OAUTH_GOOGLE_CLIENT_ID: optionalString,
  OAUTH_GOOGLE_CLIENT_SECRET: optionalString,
  OAUTH_GOOGLE_ISSUER_URL: z.url().default('https://accounts.google.com'),
  OAUTH_SLACK_CLIENT_ID: optionalString,
  OAUTH_SLACK_CLIENT_SECRET: optionalString,
  OAUTH_SLACK_ISSUER_URL: z.url().default('https://slack.com'),
  OAUTH_DISCORD_CLIENT_ID: optionalString,
  OAUTH_DISCORD_CLIENT_SECRET: optionalString,
  OAUTH_DISCORD_BASE_URL: z.url().default('https://discord.com'),
  // Operations
  METRICS_TOKEN: optionalString,
  METRICS_PORT: optionalString
    .transform((v) => (v === undefined ? undefined : Number(v)))
    .pipe(z.number().int().min(0).max(65535).optional()),
  OUTBOUND_ALLOW_PRIVATE: flag(false),
  CORS_ORIGINS: optionalString.transform((v) =>
    v
      ? v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : [],
  ),
  // Tuning (optional)
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  AUTH_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(20),
  GATEWAY_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(6000),
  // POST /api/tasks/estimate: above this estimate (integer micro-dollars; 10000 = $0.01) the portal asks to confirm.
  ESTIMATE_CONFIRM_THRESHOLD_MICROS: z.coerce.number().int().min(0).default(10_000),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).default(900),
  REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).default(30),
  BODY_LIMIT: z.string().default('1mb'),
  // A task held by an `approve` budget waits this long for a decision, then ends failed (approval_expired).
  APPROVAL_TTL_MINUTES: z.coerce.number().int().min(1).max(525_600).default(1440),
  // Outbound signed callbacks: first retry delay (doubles per attempt, capped at 30 min), attempts in all, per-request timeout.
  WEBHOOK_RETRY_DELAY_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(7),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
});

export type Env = z.infer<typeof envSchema>;

/**
 * The one public base URL for links, without a trailing slash: PUBLIC_URL (normalised above) when
 * set, else `listening` — the address the API listens on, known once it does (PORT may be 0) — else
 * http://localhost:PORT. The composition root (src/compose.ts) calls it; everything else receives the
 * resulting `publicUrl()`.
 */
export function publicUrlOf(env: Pick<Env, 'PUBLIC_URL' | 'PORT'>, listening?: string): string {
  return env.PUBLIC_URL ?? listening ?? `http://localhost:${env.PORT}`;
}

export class EnvError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'EnvError';
  }
}

/** Parses the environment, reporting every problem at once. */
export function parseEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const result = envSchema.safeParse(source);
  if (!result.success) {
    throw new EnvError(result.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`));
  }
  const env = result.data;
  if (env.NODE_ENV === 'production') {
    const missing: string[] = [];
    if (!env.JWT_SECRET) missing.push('JWT_SECRET: required when NODE_ENV=production');
    if (!env.ENCRYPTION_KEY)
      missing.push('ENCRYPTION_KEY: required when NODE_ENV=production (32 bytes, base64)');
    if (missing.length) throw new EnvError(missing);
  }
  return env;
}

/** Whether any real AI provider key is configured (decides the mock provider's default). */
export function hasRealProviderKey(env: Env): boolean {
  return Boolean(env.OPENAI_API_KEY || env.ANTHROPIC_API_KEY || env.XAI_API_KEY || env.MANUS_API_KEY);
}

export function mockProviderEnabled(env: Env): boolean {
  if (env.MOCK_PROVIDER === 'on') return true;
  if (env.MOCK_PROVIDER === 'off') return false;
  return !hasRealProviderKey(env);
}
