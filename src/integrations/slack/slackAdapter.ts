import { createHash } from 'node:crypto';
import {
  App,
  type BlockAction,
  type Logger as BoltLogger,
  type ButtonAction,
  ExpressReceiver,
  LogLevel,
  type SlashCommand,
  webApi,
} from '@slack/bolt';
import { type Request, type Response, Router } from 'express';
import { parseCommand } from '../../core/commands/grammar.js';
import type { ChatCommandHandler } from '../../core/commands/handler.js';
import type { ChatIdentityKey } from '../../core/commands/ports.js';
import { BUTTON_ACTIONS, type ButtonAction as ChatButtonAction } from '../../core/commands/reply.js';
import type { Logger } from '../../logger.js';
import { cachedBotAuthorize } from './slackAuthorize.js';
import { replyMessage } from './slackBlocks.js';

/** Where a Slack task's progress and result go (stored as the task's origin). */
export interface SlackOrigin {
  platform: 'slack';
  via: 'command' | 'action' | 'mention';
  teamId: string;
  channelId: string | null;
  userId: string;
  threadTs?: string;
  /** response_url: 5 uses within 30 minutes of responseUrlAt. */
  responseUrl?: string;
  responseUrlAt?: number;
  responseUrlUses?: number;
  /** The first reply (a command's in-channel acknowledgement) may be replaced by progress and the result. */
  canReplace: boolean;
}

export interface SlackAdapterOptions {
  signingSecret: string;
  botToken?: string;
  /** e.g. https://slack.com/api/ (tests: a stub). */
  apiUrl: string;
  handler: ChatCommandHandler;
  logger: Logger;
  /** Seconds since the epoch; injectable for tests. */
  now?: () => number;
}

/** Requests signed more than this far from now, in either direction, are refused. */
export const SLACK_MAX_SKEW_SECONDS = 300;

/**
 * Largest request body Bolt reads before checking its signature (Bolt's own default is 4 MB).
 * Slack publishes no size for what it sends; its documented content limits keep requests far
 * smaller (message text 40 000 characters, 50 blocks per message and 100 per modal, slash command
 * text a single line), so 1 MB leaves room for any event or view submission.
 */
export const SLACK_BODY_LIMIT = 1024 * 1024;

const sha = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 32);

/** Bolt's logger interface on top of ours; Bolt's info chatter goes to debug. */
export function boltLogger(logger: Logger): BoltLogger {
  const l = logger.child({ component: 'slack' });
  return {
    debug: (...m: unknown[]) => l.debug(m.map(String).join(' ')),
    info: (...m: unknown[]) => l.debug(m.map(String).join(' ')),
    warn: (...m: unknown[]) => l.warn(m.map(String).join(' ')),
    error: (...m: unknown[]) => l.error(m.map(String).join(' ')),
    setLevel: () => {},
    getLevel: () => LogLevel.DEBUG,
    setName: () => {},
  };
}

/**
 * Slack over HTTP: Bolt's ExpressReceiver mounted in our app at `<mount>/events` (commands,
 * interactivity and events share the one request URL). Bolt verifies the signing secret and the
 * past side of the timestamp; the router adds the future side. Slash commands are acknowledged
 * with the handler's reply at once; results come later through the deliver-result queue.
 */
export function createSlackRouter(opts: SlackAdapterOptions): Router {
  const { handler } = opts;
  const log = opts.logger.child({ component: 'slack' });
  const now = opts.now ?? (() => Math.floor(Date.now() / 1000));
  const receiver = new ExpressReceiver({
    signingSecret: opts.signingSecret,
    endpoints: '/events',
    processBeforeResponse: false,
    bodyLimit: SLACK_BODY_LIMIT,
    logger: boltLogger(opts.logger),
  });
  const clientOptions = {
    slackApiUrl: opts.apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 10_000,
  };
  // The bot's identity is asked of Slack once, not per request (see slackAuthorize.ts).
  const authorize = opts.botToken
    ? cachedBotAuthorize(
        opts.botToken,
        new webApi.WebClient(opts.botToken, { ...clientOptions, logger: boltLogger(opts.logger) }),
        log,
      )
    : async () => ({});
  // No conversation store: nothing here keeps per-conversation state, and Bolt's default (in memory)
  // looks every request's conversation up and builds an Error for each miss.
  const app = new App({
    receiver,
    logger: boltLogger(opts.logger),
    authorize,
    clientOptions,
    convoStore: false,
  });

  // Every slash command: `/sy <command> …`, and `/generate …` as a shortcut.
  app.command(/.*/, async ({ command, ack }) => {
    const c = command as SlashCommand;
    const text = /generate$/i.test(c.command) ? `generate ${c.text}` : c.text;
    const origin: SlackOrigin = {
      platform: 'slack',
      via: 'command',
      teamId: c.team_id,
      channelId: c.channel_id || null,
      userId: c.user_id,
      responseUrl: c.response_url,
      responseUrlAt: Date.now(),
      responseUrlUses: 0,
      canReplace: true,
    };
    const reply = await handler.handle({
      identity: identityOf(c.team_id, c.user_id, c.user_name),
      parsed: parseCommand(text),
      delivery: { source: 'slack', id: `cmd:${sha(c.trigger_id)}` },
      origin: { ...origin },
    });
    await ack({ response_type: reply.private ? 'ephemeral' : 'in_channel', ...replyMessage(reply) });
  });

  // Buttons on our messages: regenerate, share, cancel, approve, reject, run, drop (cost confirmation).
  app.action(
    { type: 'block_actions', action_id: /^sy_(regenerate|share|cancel|approve|reject|run|drop)$/ },
    async ({ ack, body, action, respond }) => {
      await ack();
      const b = body as BlockAction;
      const a = action as ButtonAction;
      const name = a.action_id.slice(3) as ChatButtonAction;
      if (!BUTTON_ACTIONS.includes(name) || !a.value) return;
      const origin: SlackOrigin = {
        platform: 'slack',
        via: 'action',
        teamId: b.team?.id ?? b.user.team_id ?? '',
        channelId: b.channel?.id ?? null,
        userId: b.user.id,
        responseUrl: b.response_url,
        responseUrlAt: Date.now(),
        responseUrlUses: 1, // the reply below uses one
        canReplace: false,
      };
      const reply = await handler.handleAction({
        identity: identityOf(origin.teamId, b.user.id, b.user.username ?? b.user.name),
        action: name,
        taskId: a.value,
        delivery: {
          source: 'slack',
          id: `act:${sha(b.trigger_id ?? `${b.container?.message_ts}:${a.action_ts}:${b.user.id}`)}`,
        },
        origin: { ...origin },
      });
      if (reply.duplicate) return;
      await respond({
        response_type: reply.private ? 'ephemeral' : 'in_channel',
        replace_original: false,
        ...replyMessage(reply),
      });
    },
  );

  // "@Switchyard generate …" in a channel (needs the bot token to answer).
  app.event('app_mention', async ({ event, body, client }) => {
    if (!opts.botToken || !event.user) return;
    const teamId = (body as { team_id?: string }).team_id ?? '';
    const eventId = (body as { event_id?: string }).event_id ?? `${event.channel}:${event.ts}`;
    const threadTs = event.thread_ts ?? event.ts;
    const origin: SlackOrigin = {
      platform: 'slack',
      via: 'mention',
      teamId,
      channelId: event.channel,
      userId: event.user,
      threadTs,
      canReplace: false,
    };
    const reply = await handler.handle({
      identity: identityOf(teamId, event.user),
      parsed: parseCommand(event.text.replace(/<@[A-Z0-9]+(?:\|[^>]*)?>/gi, ' ')),
      delivery: { source: 'slack', id: `evt:${eventId}` },
      origin: { ...origin },
    });
    if (reply.duplicate) return;
    const msg = replyMessage(reply);
    if (reply.private)
      await client.chat.postEphemeral({
        channel: event.channel,
        user: event.user,
        thread_ts: threadTs,
        ...msg,
      });
    else
      await client.chat.postMessage({
        channel: event.channel,
        thread_ts: threadTs,
        unfurl_links: false,
        ...msg,
      });
  });

  app.error(async (e) => {
    log.error('Slack listener failed', {
      err: e instanceof Error ? e.message : String(e),
      code: (e as { code?: string }).code,
    });
  });

  const router = Router();
  router.post('/events', (req: Request, res: Response, next) => {
    // Bolt checks only that the timestamp is not too old; a signed request from the future is refused here.
    const ts = Number(req.get('x-slack-request-timestamp'));
    if (Number.isFinite(ts) && Math.abs(now() - ts) > SLACK_MAX_SKEW_SECONDS) {
      log.warn('Slack request refused: timestamp outside the 5-minute window');
      res.status(401).end();
      return;
    }
    // Bolt reads up to its limit before refusing; a body declared bigger is refused unread.
    if (Number(req.get('content-length')) > SLACK_BODY_LIMIT) {
      res.status(413).set('Connection', 'close').end();
      return;
    }
    next();
  });
  router.use(receiver.router);
  return router;
}

function identityOf(teamId: string, userId: string, name?: string): ChatIdentityKey {
  return {
    platform: 'slack',
    workspaceId: teamId,
    platformUserId: userId,
    ...(name ? { displayName: name } : {}),
  };
}
