import type { webApi } from '@slack/bolt';
import { ChatDeliverer, type ChatPlatformPort } from '../../core/commands/chatDeliverer.js';
import type { ChatOriginStore } from '../../core/commands/ports.js';
import type { TaskView } from '../../core/commands/taskView.js';
import type { Logger } from '../../logger.js';
import type { SlackOrigin } from './slackAdapter.js';
import { type SlackMessage, viewMessages } from './slackBlocks.js';

type WebClient = webApi.WebClient;

/** Slack's response_url allows 5 uses within 30 minutes. */
export const RESPONSE_URL_MAX_USES = 5;
export const RESPONSE_URL_TTL_MS = 30 * 60_000;
/** Uses kept back for the result when deciding whether to spend one on a progress edit. */
const KEEP_FOR_RESULT = 3;

type StoredOrigin = SlackOrigin & { rank?: number; [sent: `sent_${string}`]: number | undefined };

class ResponseUrlGone extends Error {}

interface SlackDeps {
  origins: ChatOriginStore;
  /** A Web API client with the bot token; without it only response_url can be used. */
  web?: WebClient;
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

  constructor(private readonly deps: SlackDeps) {}

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

  post(taskId: string, origin: StoredOrigin, msg: SlackMessage, index: number): Promise<void> {
    return this.send(taskId, origin, msg, index === 0 && origin.canReplace);
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
