import type { Authorize, AuthorizeResult, webApi } from '@slack/bolt';
import type { Logger } from '../../logger.js';

/** After a failed auth.test, requests go on without the bot's ids for this long before it is tried again. */
export const AUTH_RETRY_MS = 60_000;

type BotIds = Pick<AuthorizeResult, 'botId' | 'botUserId' | 'teamId'>;

/**
 * Bolt's `authorize` for our one bot token. Bolt 5.1 given `token` with `tokenVerificationEnabled:
 * false` runs auth.test on every request; this asks Slack who the bot is once (on first use) and
 * answers every later request from memory, so no ack waits on slack.com or spends its rate limit.
 * When auth.test fails, requests still go through with the token alone (commands need no bot ids;
 * only Bolt's ignore-self check uses them) and auth.test is tried again after AUTH_RETRY_MS.
 */
export function cachedBotAuthorize(
  botToken: string,
  web: webApi.WebClient,
  logger: Logger,
  now: () => number = Date.now,
): Authorize<boolean> {
  let ids: Promise<BotIds | null> | undefined;
  let failedAt = 0;
  const ask = async (): Promise<BotIds | null> => {
    try {
      const r = await web.auth.test();
      return {
        ...(r.bot_id ? { botId: r.bot_id } : {}),
        ...(r.user_id ? { botUserId: r.user_id } : {}),
        ...(r.team_id ? { teamId: r.team_id } : {}),
      };
    } catch (e) {
      failedAt = now();
      logger.warn('Slack auth.test failed; going on without the bot ids for now', {
        err: e instanceof Error ? e.message : String(e),
      });
      return null;
    }
  };
  return async () => {
    if (!ids || (failedAt && now() - failedAt >= AUTH_RETRY_MS)) {
      failedAt = 0;
      ids = ask();
    }
    return { botToken, ...((await ids) ?? {}) };
  };
}
