import type { webApi } from '@slack/bolt';
import { ChatDeliverer, type ChatPlatformPort } from '../../core/commands/chatDeliverer.js';
import { type LiveEditPort, PacePerKey } from '../../core/commands/liveEdits.js';
import type { ChatOriginStore } from '../../core/commands/ports.js';
import type { TaskView } from '../../core/commands/taskView.js';
import type { LiveFeed } from '../../core/tasks/liveStream.js';
import type { Logger } from '../../logger.js';
import type { SlackOrigin } from './slackAdapter.js';
import { liveMessage, SLACK_SECTION_LIMIT, type SlackMessage, viewMessages } from './slackBlocks.js';

type WebClient = webApi.WebClient;

/** Slack's response_url allows 5 uses within 30 minutes. */
export const RESPONSE_URL_MAX_USES = 5;
export const RESPONSE_URL_TTL_MS = 30 * 60_000;
/** Uses kept back for the result when deciding whether to spend one on a progress edit. */
const KEEP_FOR_RESULT = 3;

/**
 * Live edits (chat.update): at most one a second per channel. Slack rates chat.update as Tier 3
 * (about 50 a minute per workspace, bursts allowed) and asks for about one message a second per
 * channel; one edit a second per channel keeps a streaming reply readable and inside both.
 */
export const SLACK_LIVE_INTERVAL_MS = 1000;
/** The live text stays within one section (3000 characters once escaped). */
const SLACK_LIVE_LIMIT = SLACK_SECTION_LIMIT - 100;

type StoredOrigin = SlackOrigin & {
  rank?: number;
  /** The message posted for live edits (chat.postMessage), then edited with chat.update; the result replaces it. */
  liveTs?: string;
  liveChannel?: string;
  /** Slack refused to post the live message (not in channel, …): no more live edits for this task. */
  liveRefused?: boolean;
  [sent: `sent_${string}`]: number | undefined;
};

class ResponseUrlGone extends Error {}

/** This process edited the channel less than SLACK_LIVE_INTERVAL_MS ago (or Slack said to wait): wait `ms`. */
class ChannelBusy extends Error {
  constructor(readonly ms: number) {
    super(`Slack channel busy for ${ms} ms`);
  }
}

type SlackError = { code?: string; retryAfter?: number; data?: { error?: string } };
const isRateLimited = (e: unknown) => (e as SlackError)?.code === 'slack_webapi_rate_limited_error';
const isPlatformError = (e: unknown) => (e as SlackError)?.code === 'slack_webapi_platform_error';

interface SlackDeps {
  origins: ChatOriginStore;
  /**
   * A Web API client with the bot token; without it only response_url can be used. Made with
   * `retryConfig: { retries: 0 }` and `rejectRateLimitedCalls: true`, so a 429 reaches the
   * deliverer (live edits wait its Retry-After; the queue retries a result) instead of the client
   * sleeping on it.
   */
  web?: WebClient;
  /** Live output of running tasks: with `web`, the reply is edited as the answer streams. */
  live?: LiveFeed;
  publicUrl: () => string;
  logger: Logger;
  now?: () => number;
}

/** Posts a Slack task's progress and result (see SlackPort). */
export class SlackDeliverer extends ChatDeliverer<StoredOrigin, SlackMessage> {
  constructor(deps: SlackDeps) {
    super(new SlackPort(deps), deps);
  }
}

/**
 * Slack's part of the chat deliverer (core/commands/chatDeliverer.ts). Progress replaces the
 * command's first reply through response_url while uses remain for the result; the result goes
 * through response_url (replacing the first reply) and, once its uses or its 30 minutes have run
 * out, chat.postMessage with the bot token.
 */
export class SlackPort implements ChatPlatformPort<StoredOrigin, SlackMessage> {
  readonly platform = 'slack' as const;
  readonly label = 'Slack';

  /** When each channel may next be edited (this process). */
  private readonly channels = new PacePerKey(SLACK_LIVE_INTERVAL_MS);
  /** With a bot token: a message of our own is posted and edited in place while the answer streams. */
  readonly live?: LiveEditPort<StoredOrigin>;

  constructor(private readonly deps: SlackDeps) {
    if (deps.web) this.live = this.liveEdits(deps.web);
  }

  /**
   * Live edits through the Web API: after the answer has streamed for a second, the text so far is
   * posted (chat.postMessage, in the command's channel or the mention's thread) and then edited in
   * place (chat.update) at most once a second per channel; a 429 holds that channel for its
   * Retry-After. A slash command's acknowledgement is deleted through response_url once the live
   * message is up, so one message shows the answer; the result replaces the live message.
   */
  private liveEdits(web: WebClient): LiveEditPort<StoredOrigin> {
    return {
      intervalMs: SLACK_LIVE_INTERVAL_MS,
      startDelayMs: SLACK_LIVE_INTERVAL_MS,
      postsOwnMessage: true,
      limit: SLACK_LIVE_LIMIT,
      edit: async (taskId, o, text, view) => {
        const channel = o.liveChannel ?? o.channelId;
        if (!channel || o.liveRefused) return;
        const wait = this.channels.take(channel, taskId);
        if (wait > 0) throw new ChannelBusy(wait);
        const msg = liveMessage(text, view);
        try {
          if (o.liveTs) {
            await web.chat.update({ channel, ts: o.liveTs, ...msg } as never);
            this.channels.sent(channel);
            return;
          }
          const res = await web.chat.postMessage({
            channel,
            ...(o.threadTs ? { thread_ts: o.threadTs } : {}),
            unfurl_links: false,
            ...msg,
          } as never);
          this.channels.sent(channel);
          const liveChannel = (res.channel as string | undefined) ?? channel;
          await this.deps.origins.patch(taskId, { liveTs: res.ts, liveChannel });
          if (o.via === 'command' && o.canReplace) await this.dropAcknowledgement(taskId, o);
        } catch (e) {
          if (isRateLimited(e)) this.channels.block(channel, ((e as SlackError).retryAfter ?? 1) * 1000);
          else if (isPlatformError(e) && !o.liveTs) {
            // not_in_channel, channel_not_found, …: the result still comes through response_url.
            await this.deps.origins.patch(taskId, { liveRefused: true });
            this.deps.logger.debug('Slack live message refused', {
              taskId,
              error: (e as SlackError).data?.error,
            });
          }
          throw e;
        }
      },
      unsent: (e) => e instanceof ChannelBusy,
      retryAfterMs: (e) =>
        e instanceof ChannelBusy
          ? e.ms
          : isRateLimited(e)
            ? Math.max(1, (e as SlackError).retryAfter ?? 1) * 1000
            : undefined,
    };
  }

  /** The command's acknowledgement goes (response_url delete_original); the live message shows the answer now. */
  private async dropAcknowledgement(taskId: string, o: StoredOrigin): Promise<void> {
    await this.deps.origins.patch(taskId, { canReplace: false });
    if (!this.responseUrlFresh(o)) return;
    if (!(await this.deps.origins.takeUse(taskId, 'responseUrlUses', RESPONSE_URL_MAX_USES))) return;
    try {
      await this.postResponseUrl(o.responseUrl!, { delete_original: true });
    } catch (e) {
      this.deps.logger.debug('Slack acknowledgement not deleted', { taskId, err: (e as Error).message });
    }
  }

  private now() {
    return this.deps.now ? this.deps.now() : Date.now();
  }

  messages(view: TaskView): SlackMessage[] {
    return viewMessages(view);
  }

  async progress(taskId: string, origin: StoredOrigin, view: TaskView): Promise<boolean> {
    if (!origin.canReplace || !this.responseUrlFresh(origin)) return false;
    const max = RESPONSE_URL_MAX_USES - KEEP_FOR_RESULT;
    if (!(await this.deps.origins.takeUse(taskId, 'responseUrlUses', max))) return false;
    try {
      await this.postResponseUrl(origin.responseUrl!, { ...viewMessages(view)[0]!, replace_original: true });
      return true;
    } catch (e) {
      // Progress is best effort: the result still follows.
      this.deps.logger.debug('Slack progress update skipped', { taskId, err: (e as Error).message });
      return false;
    }
  }

  async post(taskId: string, origin: StoredOrigin, msg: SlackMessage, index: number): Promise<void> {
    if (origin.liveTs && this.deps.web) {
      // The live message becomes the result's first part; the rest follow it in the same place.
      if (await this.postAfterLive(taskId, origin, msg, index)) return;
    }
    return this.send(taskId, origin, msg, index === 0 && origin.canReplace);
  }

  /** Answers false when the live message cannot be edited any more (deleted, too old): send as usual. */
  private async postAfterLive(
    taskId: string,
    origin: StoredOrigin,
    msg: SlackMessage,
    index: number,
  ): Promise<boolean> {
    const web = this.deps.web!;
    const channel = origin.liveChannel ?? origin.channelId!;
    try {
      if (index === 0) await web.chat.update({ channel, ts: origin.liveTs!, ...msg } as never);
      else
        await web.chat.postMessage({
          channel,
          ...(origin.threadTs ? { thread_ts: origin.threadTs } : {}),
          unfurl_links: false,
          ...msg,
        } as never);
      return true;
    } catch (e) {
      // Rate limits and HTTP errors are thrown on: the queue retries, and the parts sent are remembered.
      if (!isPlatformError(e)) throw e;
      this.deps.logger.info('Slack live message not editable; sending the result as usual', {
        taskId,
        error: (e as SlackError).data?.error,
      });
      return false;
    }
  }

  private responseUrlFresh(o: StoredOrigin): boolean {
    return Boolean(
      o.responseUrl && o.responseUrlAt && this.now() - o.responseUrlAt < RESPONSE_URL_TTL_MS - 60_000,
    );
  }

  private async send(
    taskId: string,
    origin: StoredOrigin,
    msg: SlackMessage,
    replace: boolean,
  ): Promise<void> {
    if (
      this.responseUrlFresh(origin) &&
      (await this.deps.origins.takeUse(taskId, 'responseUrlUses', RESPONSE_URL_MAX_USES))
    ) {
      try {
        await this.postResponseUrl(origin.responseUrl!, { ...msg, replace_original: replace });
        return;
      } catch (e) {
        if (!(e instanceof ResponseUrlGone)) throw e;
        this.deps.logger.info('Slack response_url no longer accepted; posting with the bot token', {
          taskId,
        });
      }
    }
    if (!this.deps.web || !origin.channelId) {
      // Nothing else can reach that channel: retrying will not help.
      this.deps.logger.warn(
        'Slack result could not be delivered: response_url used up and no bot token or channel',
        { taskId },
      );
      return;
    }
    try {
      await this.deps.web.chat.postMessage({
        channel: origin.channelId,
        ...(origin.threadTs ? { thread_ts: origin.threadTs } : {}),
        unfurl_links: false,
        ...msg,
      } as never);
    } catch (e) {
      // Slack answered ok:false (channel_not_found, not_in_channel, …): a retry gets the same answer.
      // Rate limits and HTTP errors are thrown on, so the queue retries them.
      const err = e as { code?: string; data?: { error?: string } };
      if (err.code !== 'slack_webapi_platform_error') throw e;
      this.deps.logger.warn('Slack refused the result message', { taskId, error: err.data?.error });
    }
  }

  private async postResponseUrl(url: string, body: Record<string, unknown>): Promise<void> {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ response_type: 'in_channel', ...body }),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text().catch(() => '');
    if (res.status === 404 || res.status === 410 || /expired_url|used_url/.test(text))
      throw new ResponseUrlGone(`response_url answered ${res.status}`);
    if (!res.ok) throw new Error(`Slack response_url answered HTTP ${res.status}`);
  }
}
