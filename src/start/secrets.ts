import type { Env } from '../env.js';
import { registerSecret } from '../logger.js';
import type { ResolvedSecrets } from '../secrets.js';

/** Registers every secret the environment carries, so the logger masks it wherever it appears. */
export function registerEnvSecrets(env: Env, secrets: ResolvedSecrets): void {
  for (const s of [
    secrets.jwtSecret,
    env.OPENAI_API_KEY,
    env.ANTHROPIC_API_KEY,
    env.XAI_API_KEY,
    env.MANUS_API_KEY,
    env.SLACK_BOT_TOKEN,
    env.SLACK_SIGNING_SECRET,
    env.DISCORD_BOT_TOKEN,
    env.TELEGRAM_BOT_TOKEN,
    env.TELEGRAM_WEBHOOK_SECRET,
    env.GITHUB_TOKEN,
    env.GITHUB_WEBHOOK_SECRET,
    env.METRICS_TOKEN,
    env.OIDC_CLIENT_SECRET,
    env.OAUTH_GITHUB_CLIENT_SECRET,
    env.OAUTH_GOOGLE_CLIENT_SECRET,
    env.OAUTH_SLACK_CLIENT_SECRET,
    env.OAUTH_DISCORD_CLIENT_SECRET,
    env.SMTP_URL,
    env.SMTP_URL ? decodeURIComponent(new URL(env.SMTP_URL).password) || undefined : undefined,
  ]) {
    registerSecret(s);
  }
}
