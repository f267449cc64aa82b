import { isAppError } from '../errors.js';
import type { LinkService } from '../linking/linkService.js';
import type { Settings } from '../settings/settings.js';
import { formatUsd } from '../spend/pricing.js';
import type { TaskCommands, TaskRecord } from '../tasks/types.js';
import type { ChatCommand, ParseResult } from './grammar.js';
import { type ChatPlatform, helpText, usageLine } from './help.js';
import type {
  ChatCollab,
  ChatIdentityKey,
  ChatIdentityRecord,
  ChatIdentityStore,
  ContentLookup,
  DeliveryLedger,
  PendingRunRequest,
  PendingRunStore,
  ProviderDirectory,
  RateLimiter,
  ShareLinks,
} from './ports.js';
import { type ButtonAction, button, type ChatButton, type ChatReply, shortId } from './reply.js';
import { portalUrlFor } from './taskView.js';

/** Where a task's progress and result go: adapter-defined JSON, stored on the task. */
export type OriginSource = Record<string, unknown> | (() => Promise<Record<string, unknown>>);

export interface ChatRequest {
  identity: ChatIdentityKey;
  parsed: ParseResult;
  /** The platform's delivery id (Slack trigger/event id, Discord interaction id, Telegram update_id). */
  delivery: { source: string; id: string };
  /**
   * The origin to store on a new task. A function is called only when a task is about to be
   * created (Telegram uses it to send its first reply and keep that message's id).
   */
  origin: OriginSource;
  /**
   * The workspace the command came from when it is not the identity's (Discord guild id, Telegram
   * chat id); Slack's is the identity's workspace (team id). A workspace attached to a team makes
   * the task the team's.
   */
  workspace?: string;
}

export interface ChatActionRequest {
  identity: ChatIdentityKey;
  action: ButtonAction;
  taskId: string;
  delivery: { source: string; id: string };
  origin: OriginSource;
}

/** What chat needs of spend approvals; errors are AppErrors (404, 403, 409 not_awaiting_approval, 422). */
export interface ChatApprovals {
  /** Why the task waits and until when, or null when it was never held. */
  describe(taskId: string): Promise<string | null>;
  approve(taskId: string, actor: { userId: string }): Promise<TaskRecord>;
  reject(taskId: string, actor: { userId: string }): Promise<TaskRecord>;
}

/** The cost estimate of a task not submitted yet, against its user's confirm threshold. */
export interface ChatEstimate {
  minMicros: number;
  maxMicros: number;
  tokens: number;
  thresholdMicros: number;
  exceedsThreshold: boolean;
}

/** Estimate before running (issue 14): a `generate` above the user's threshold asks first. */
export interface ChatEstimates {
  quote(input: {
    userId: string;
    teamId: string | null;
    taskType: string;
    description: string;
    providerId: string | null;
  }): Promise<ChatEstimate>;
  pending: PendingRunStore;
  /** How long Run stays possible. */
  ttlMs: number;
}

export interface ChatLog {
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

export interface ChatHandlerDeps {
  tasks: TaskCommands;
  identities: ChatIdentityStore;
  links: LinkService;
  rateLimiter: RateLimiter;
  ledger: DeliveryLedger;
  settings: { getAll(): Promise<Settings> };
  /** Provider listing and --provider lookup; without it `providers` points to the portal. */
  providers?: ProviderDirectory;
  /** Share links from the content area; without them `share` points to the portal. */
  shares?: ShareLinks;
  content?: ContentLookup;
  /** Comments and approvals (`comment`, `approve`); without it they point to the portal. */
  collab?: ChatCollab;
  publicUrl: () => string;
  log: ChatLog;
  /** Task type for `generate` without --type. */
  defaultTaskType?: string;
  /** Tasks held by an `approve` budget (core/spend/approvals.ts): the Approve/Reject buttons. */
  approvals?: ChatApprovals;
  /** Cost confirmation before running; without it `generate` submits at once. */
  estimates?: ChatEstimates;
  /** The team a chat workspace is attached to (core/teams), if any. */
  teamForWorkspace?: (platform: ChatPlatform, externalId: string) => Promise<string | null>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PLATFORM_NAME: Record<ChatPlatform, string> = {
  slack: 'Slack',
  discord: 'Discord',
  telegram: 'Telegram',
};
const STATUS_ICON: Record<TaskRecord['status'], string> = {
  awaiting_approval: '⏸️',
  queued: '⏳',
  running: '⚙️',
  completed: '✅',
  failed: '❌',
  cancelled: '🚫',
};

type Who = { identity: ChatIdentityRecord; userId: string };

/**
 * Runs chat commands for a chat identity: resolves who it is (a linked account or a per-identity
 * guest), applies the per-identity rate limit, dedupes the platform's delivery, calls the task use
 * cases and account linking, and answers with a platform-neutral reply. Adapters only verify,
 * acknowledge, translate and render.
 */
export class ChatCommandHandler {
  constructor(private readonly deps: ChatHandlerDeps) {}

  private portal(): string {
    return this.deps.publicUrl();
  }

  /** Handles one typed (or structured) command. Never throws: failures become a friendly reply. */
  async handle(req: ChatRequest): Promise<ChatReply> {
    const platform = req.identity.platform;
    if (!req.parsed.ok) {
      const hint = req.parsed.name ? usageLine(platform, req.parsed.name) : helpText(platform, this.portal());
      return { private: true, text: `${req.parsed.error}\n${hint}` };
    }
    const cmd = req.parsed.command;
    if (cmd.name === 'help') return { private: true, text: helpText(platform, this.portal()) };
    try {
      const pre = await this.prepare(req.identity, req.delivery, cmd.name === 'link');
      if ('reply' in pre) return pre.reply;
      const who = pre.who;
      switch (cmd.name) {
        case 'generate':
          return await this.generate(cmd, who!, req);
        case 'status':
          return await this.status(cmd.ref, who!.userId);
        case 'tasks':
          return await this.recent(who!.userId, platform);
        case 'providers':
          return await this.listProviders(platform);
        case 'cancel':
          return await this.once(req.delivery, () => this.cancel(cmd.ref, who!.userId));
        case 'share':
          return await this.once(req.delivery, () => this.share(cmd.ref, who!.userId));
        case 'comment':
          return await this.once(req.delivery, () => this.comment(cmd.ref, cmd.text, who!.userId));
        case 'approve':
          return await this.once(req.delivery, () => this.approve(cmd.ref, who!.userId));
        case 'link':
          return await this.once(req.delivery, () =>
            this.link(cmd.code, req.identity, who?.identity ?? null),
          );
      }
    } catch (e) {
      return this.failure(e, { command: cmd.name, platform });
    }
  }

  /** Handles a button press (regenerate, share, cancel) on one of our messages. */
  async handleAction(req: ChatActionRequest): Promise<ChatReply> {
    const platform = req.identity.platform;
    try {
      const pre = await this.prepare(req.identity, req.delivery, false);
      if ('reply' in pre) return pre.reply;
      const who = pre.who;
      switch (req.action) {
        case 'regenerate':
          return await this.regenerate(req, who!);
        case 'cancel':
          return await this.once(req.delivery, () => this.cancel(req.taskId, who!.userId));
        case 'share':
          return await this.once(req.delivery, () => this.share(req.taskId, who!.userId));
        case 'approve':
        case 'reject': {
          const action = req.action;
          return await this.once(req.delivery, () => this.decide(action, req.taskId, who!.userId));
        }
        case 'run':
          return await this.once(req.delivery, () => this.runPending(req, who!));
        case 'drop':
          return await this.once(req.delivery, () => this.dropPending(req.taskId, who!.userId));
      }
    } catch (e) {
      return this.failure(e, { action: req.action, platform });
    }
  }

  // --- who, how often, how many times --------------------------------------------------------

  /**
   * Everything before the command itself, with the independent reads in one round trip: a delivery
   * seen before is replayed; the per-identity rate limit applies; then the identity is resolved.
   */
  private async prepare(
    key: ChatIdentityKey,
    delivery: { source: string; id: string },
    forLink: boolean,
  ): Promise<{ who: Who | null } | { reply: ChatReply }> {
    const [seen, settings, identity, rate] = await Promise.all([
      this.deps.ledger.lookup(delivery.source, delivery.id),
      this.deps.settings.getAll(),
      this.deps.identities.find(key),
      this.deps.rateLimiter.hit(`chat:${key.platform}:${key.workspaceId}:${key.platformUserId}`, 60),
    ]);
    if (seen) return { reply: this.replay(seen) };
    const perMinute = settings['chat.rateLimitPerMinute'];
    if (rate.count > perMinute) {
      return {
        reply: {
          private: true,
          text: `You’re sending commands faster than ${perMinute} a minute. Please wait ${rate.retryAfterSeconds} s and try again.`,
        },
      };
    }
    return this.resolve(key, settings, identity, forLink);
  }

  /**
   * The identity's user: a linked account, else a guest made for it on first use. With
   * `chat.requireLinkedAccount` guests are refused (except for `link` itself).
   */
  private async resolve(
    key: ChatIdentityKey,
    settings: Settings,
    found: ChatIdentityRecord | null,
    forLink: boolean,
  ): Promise<{ who: Who | null } | { reply: ChatReply }> {
    const requireLinked = settings['chat.requireLinkedAccount'];
    let identity = found;
    if (forLink) return { who: identity ? { identity, userId: identity.user.id } : null };
    if (!identity) {
      if (requireLinked) return { reply: this.needLink(key.platform) };
      identity = await this.deps.identities.ensureGuest(key);
    }
    if (identity.user.status !== 'active') {
      return {
        reply: {
          private: true,
          text: 'This Switchyard account is suspended, so I can’t run commands for it. Ask an administrator.',
        },
      };
    }
    if (requireLinked && identity.user.isGuest) return { reply: this.needLink(key.platform) };
    return { who: { identity, userId: identity.user.id } };
  }

  private needLink(platform: ChatPlatform): ChatReply {
    const p = platform === 'slack' ? '/sy ' : '/';
    return {
      private: true,
      text: `To use Switchyard here, link your account first: sign in at ${this.portal()}/links, get a code, then send ${p}link <code>.`,
    };
  }

  /** Runs a command with side effects at most once per delivery, replaying its reply to repeats. */
  private async once(
    delivery: { source: string; id: string },
    run: () => Promise<ChatReply>,
  ): Promise<ChatReply> {
    if (!(await this.deps.ledger.claim(delivery.source, delivery.id))) {
      const seen = await this.deps.ledger.lookup(delivery.source, delivery.id);
      return this.replay(seen ?? { taskId: null, response: null });
    }
    const reply = await run();
    await this.deps.ledger.saveResponse(delivery.source, delivery.id, { ...reply });
    return reply;
  }

  private replay(seen: { taskId: string | null; response: Record<string, unknown> | null }): ChatReply {
    const r = seen.response;
    if (r && typeof r.text === 'string') {
      return {
        text: r.text,
        private: r.private === true,
        ...(Array.isArray(r.buttons) ? { buttons: r.buttons as ChatButton[] } : {}),
        ...(typeof r.taskId === 'string' ? { taskId: r.taskId } : {}),
        duplicate: true,
      };
    }
    if (seen.taskId) {
      return {
        private: true,
        text: `⏳ Already on it: task ${shortId(seen.taskId)}.`,
        taskId: seen.taskId,
        buttons: [button('cancel', seen.taskId)],
        duplicate: true,
      };
    }
    return { private: true, text: 'Already handled.', duplicate: true };
  }

  private failure(e: unknown, meta: Record<string, unknown>): ChatReply {
    if (isAppError(e) && e.status < 500) return { private: true, text: e.message };
    this.deps.log.error('Chat command failed', { ...meta, err: e instanceof Error ? e.message : String(e) });
    return { private: true, text: 'Sorry, something went wrong on our side. Please try again in a moment.' };
  }

  // --- commands --------------------------------------------------------------------------------

  private async generate(
    cmd: Extract<ChatCommand, { name: 'generate' }>,
    who: Who,
    req: ChatRequest,
  ): Promise<ChatReply> {
    let providerId: string | null = null;
    if (cmd.provider) {
      if (!this.deps.providers)
        return {
          private: true,
          text: `Picking a provider from chat isn’t available here; leave out --provider, or pick one in the portal: ${this.portal()}`,
        };
      const p = await this.deps.providers.findActiveByName(cmd.provider);
      if (!p) {
        const names = (await this.deps.providers.listActive()).map((x) => x.name);
        return {
          private: true,
          text: `I don’t know an active provider called “${cmd.provider}”.${names.length ? ` Try one of: ${names.join(', ')}.` : ''}`,
        };
      }
      providerId = p.id;
    }
    const workspace = req.workspace ?? req.identity.workspaceId;
    const teamId =
      workspace && this.deps.teamForWorkspace
        ? await this.deps.teamForWorkspace(req.identity.platform, workspace)
        : null;
    const taskType = cmd.taskType ?? this.deps.defaultTaskType ?? 'article';
    // Estimate before running: above the user's threshold, ask first (guests submit at once, as before).
    const est = this.deps.estimates;
    if (est && !who.identity.user.isGuest) {
      const q = await est.quote({
        userId: who.userId,
        teamId,
        taskType,
        description: cmd.prompt,
        providerId,
      });
      if (q.exceedsThreshold) {
        const request: PendingRunRequest = {
          prompt: cmd.prompt,
          taskType,
          ...(cmd.priority ? { priority: cmd.priority } : {}),
          providerId,
          teamId,
          source: req.identity.platform,
        };
        return this.once(req.delivery, () => this.askToRun(who, request, q));
      }
    }
    const origin = typeof req.origin === 'function' ? await req.origin() : req.origin;
    const { task, duplicate } = await this.deps.tasks.submit(
      {
        userId: who.userId,
        teamId,
        description: cmd.prompt,
        taskType,
        ...(cmd.priority ? { priority: cmd.priority } : {}),
        source: req.identity.platform,
        providerId,
        origin,
        dedupe: { source: req.delivery.source, deliveryId: req.delivery.id },
      },
      // The workspace is attached to the team: its commands are the team's, whoever types them.
      { teamChecked: true },
    );
    if (task.status === 'awaiting_approval') return this.held(task, duplicate);
    return {
      text: `⏳ Queued task ${shortId(task.id)} (${task.taskType}, ${task.priority} priority). I’ll post the result here.`,
      buttons: [button('cancel', task.id)],
      taskId: task.id,
      taskCreated: !duplicate,
      duplicate,
    };
  }

  /** A `generate` above the threshold: stored until Run or Cancel (or expiry), with the range shown. */
  private async askToRun(who: Who, request: PendingRunRequest, q: ChatEstimate): Promise<ChatReply> {
    const est = this.deps.estimates!;
    const id = await est.pending.create({
      userId: who.userId,
      request,
      expiresAt: new Date(Date.now() + est.ttlMs),
    });
    const minutes = Math.round(est.ttlMs / 60_000);
    return {
      text:
        `💰 Estimated cost ${formatUsd(q.minMicros)}–${formatUsd(q.maxMicros)} (up to ${q.tokens.toLocaleString('en-US')} tokens). Run it?` +
        ` (Above your confirm threshold of ${formatUsd(q.thresholdMicros)}; the buttons work for ${minutes} minutes.)`,
      buttons: [button('run', id), button('drop', id)],
    };
  }

  /** Run pressed: submits the stored request once (a second press gets the same task). */
  private async runPending(req: ChatActionRequest, who: Who): Promise<ChatReply> {
    const p = await this.pendingFor(req.taskId, who.userId, 'run');
    if ('text' in p) return p;
    if (p.decision === 'cancelled')
      return { private: true, text: 'That request was cancelled; nothing to run.' };
    if (p.decision === 'run' && p.taskId)
      return {
        private: true,
        text: `Already running it as task ${shortId(p.taskId)}.`,
        taskId: p.taskId,
        buttons: [button('cancel', p.taskId)],
      };
    // Claim the Run first (a Cancel pressed meanwhile then loses); a Run already claimed by an
    // earlier press re-submits with the same dedupe key, which answers with the same task.
    if (p.decision === null && !(await this.deps.estimates!.pending.decide(p.id, 'run'))) {
      const now = await this.pendingFor(req.taskId, who.userId, 'run');
      if ('text' in now) return now;
      if (now.decision === 'cancelled')
        return { private: true, text: 'That request was cancelled; nothing to run.' };
      if (now.decision === null)
        return { private: true, text: 'That request has expired; send the generate command again.' };
    }
    const r = p.request;
    const origin = typeof req.origin === 'function' ? await req.origin() : req.origin;
    const { task, duplicate } = await this.deps.tasks.submit(
      {
        userId: who.userId,
        teamId: r.teamId,
        description: r.prompt,
        taskType: r.taskType,
        ...(r.priority ? { priority: r.priority } : {}),
        source: r.source,
        providerId: r.providerId,
        origin,
        // The pending request's id: two presses (or a retry after a crash) make one task.
        dedupe: { source: 'chat-confirm', deliveryId: p.id },
      },
      { teamChecked: true },
    );
    await this.deps.estimates!.pending.attach(p.id, task.id);
    if (duplicate)
      return {
        private: true,
        text: `Already running it as task ${shortId(task.id)}.`,
        taskId: task.id,
        buttons: [button('cancel', task.id)],
      };
    if (task.status === 'awaiting_approval') return this.held(task, false);
    return {
      text: `⏳ Queued task ${shortId(task.id)} (${task.taskType}, ${task.priority} priority). I’ll post the result here.`,
      buttons: [button('cancel', task.id)],
      taskId: task.id,
      taskCreated: true,
    };
  }

  /** Cancel pressed on a request waiting for Run: it is dropped. */
  private async dropPending(id: string, userId: string): Promise<ChatReply> {
    const p = await this.pendingFor(id, userId, 'cancel');
    if ('text' in p) return p;
    if (p.decision === 'run' && p.taskId)
      return {
        private: true,
        text: `It is already running as task ${shortId(p.taskId)}; use that task’s Cancel button.`,
        taskId: p.taskId,
        buttons: [button('cancel', p.taskId)],
      };
    if (p.decision === 'cancelled') return { private: true, text: 'That request was already cancelled.' };
    if (p.decision === 'run' || !(await this.deps.estimates!.pending.decide(p.id, 'cancelled')))
      return { private: true, text: 'Too late: Run was pressed first; use the task’s Cancel button.' };
    return { text: '✖ Cancelled; nothing was run.' };
  }

  private async pendingFor(id: string, userId: string, what: 'run' | 'cancel') {
    if (!this.deps.estimates)
      return { private: true, text: `Run it from the portal: ${this.portal()}` } satisfies ChatReply;
    const p = await this.deps.estimates.pending.get(id);
    if (!p) return { private: true, text: 'I can’t find that request any more.' } satisfies ChatReply;
    if (p.userId !== userId)
      return {
        private: true,
        text: `You’re not allowed to ${what} this request: only the person who asked for it can.`,
      } satisfies ChatReply;
    return p;
  }

  private async regenerate(req: ChatActionRequest, who: Who): Promise<ChatReply> {
    const original = await this.deps.tasks.get(req.taskId, { userId: who.userId });
    if (!original) return this.notYours();
    const origin = typeof req.origin === 'function' ? await req.origin() : req.origin;
    const { task, duplicate } = await this.deps.tasks.submit(
      {
        userId: who.userId,
        teamId: original.teamId,
        title: original.title,
        description: original.description,
        taskType: original.taskType,
        priority: original.priority,
        source: req.identity.platform,
        providerId: original.providerId,
        options: original.options,
        origin,
        regenerateContentId: original.contentId,
        dedupe: { source: req.delivery.source, deliveryId: req.delivery.id },
      },
      { teamChecked: true },
    );
    if (task.status === 'awaiting_approval') return this.held(task, duplicate);
    return {
      text: `🔁 Regenerating task ${shortId(original.id)} as task ${shortId(task.id)}. I’ll post the result here.`,
      buttons: [button('cancel', task.id)],
      taskId: task.id,
      taskCreated: !duplicate,
      duplicate,
    };
  }

  /** A new task held by an `approve` budget: why, and the buttons to decide (shown in the channel). */
  private async held(task: TaskRecord, duplicate: boolean): Promise<ChatReply> {
    const why = (await this.deps.approvals?.describe(task.id)) ?? 'it would exceed a budget.';
    return {
      text: `⏸️ Task ${shortId(task.id)} is waiting for approval: ${why} I’ll post the result here once it is approved.`,
      buttons: [button('approve', task.id), button('reject', task.id)],
      taskId: task.id,
      taskCreated: !duplicate,
      awaitingApproval: true,
      duplicate,
    };
  }

  /** Approve or Reject pressed: only the task's owner, a team owner/admin of its team (or a site admin). */
  private async decide(action: 'approve' | 'reject', taskId: string, userId: string): Promise<ChatReply> {
    const id = shortId(taskId);
    if (!this.deps.approvals)
      return { private: true, text: `Approvals are decided in the portal: ${this.portal()}` };
    try {
      if (action === 'approve') {
        await this.deps.approvals.approve(taskId, { userId });
        return { text: `✅ Task ${id} approved; it is queued now. I’ll post the result here.`, taskId };
      }
      await this.deps.approvals.reject(taskId, { userId });
      return { text: `⛔ Task ${id} rejected; it will not run.`, taskId };
    } catch (e) {
      if (isAppError(e) && (e.code === 'not_found' || e.code === 'forbidden'))
        return {
          private: true,
          text: `You’re not allowed to ${action} task ${id}: only the person who started it or an owner or admin of its team can.`,
        };
      if (isAppError(e) && e.code === 'not_awaiting_approval')
        return { private: true, text: `Task ${id} is no longer waiting for approval; nothing to ${action}.` };
      throw e;
    }
  }

  private notYours(): ChatReply {
    return {
      private: true,
      text: 'I can’t find that task among yours (only the person who started it can use its buttons).',
    };
  }

  /** A task of the user's by full id or by a unique prefix of a recent one (as shown in chat). */
  private async findTask(ref: string, userId: string): Promise<TaskRecord | ChatReply> {
    const r = ref.trim().toLowerCase();
    if (UUID.test(r))
      return (
        (await this.deps.tasks.get(r, { userId })) ?? {
          private: true,
          text: `I can’t find task ${shortId(r)} among yours.`,
        }
      );
    if (!/^[0-9a-f-]{4,36}$/.test(r))
      return {
        private: true,
        text: `“${ref}” isn’t a task id. Task ids look like ab12cd34; see your tasks with the tasks command.`,
      };
    const matches = (await this.deps.tasks.listRecent(userId, 100)).filter((t) => t.id.startsWith(r));
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1)
      return { private: true, text: `More than one of your tasks starts with ${r}; use more characters.` };
    return { private: true, text: `I can’t find task ${r} among your recent tasks.` };
  }

  private async status(ref: string, userId: string): Promise<ChatReply> {
    const t = await this.findTask(ref, userId);
    if ('text' in t) return t;
    const lines = [
      `${STATUS_ICON[t.status]} Task ${shortId(t.id)} — ${t.status}`,
      `“${t.title}”`,
      `Type: ${t.taskType} · Priority: ${t.priority} · Started from ${t.source}`,
    ];
    if (t.status === 'failed' && t.error) lines.push(`Error: ${t.error.split('\n')[0]}`);
    lines.push(`${t.status === 'completed' ? 'Result' : 'Details'}: ${portalUrlFor(this.portal(), t)}`);
    const buttons: ChatButton[] =
      t.status === 'awaiting_approval'
        ? [button('approve', t.id), button('reject', t.id), button('cancel', t.id)]
        : t.status === 'queued' || t.status === 'running'
          ? [button('cancel', t.id)]
          : t.status === 'completed'
            ? [button('regenerate', t.id), button('share', t.id)]
            : [button('regenerate', t.id)];
    return { private: true, text: lines.join('\n'), buttons, taskId: t.id };
  }

  private async recent(userId: string, platform: ChatPlatform): Promise<ChatReply> {
    const items = await this.deps.tasks.listRecent(userId, 10);
    if (!items.length) {
      const p = platform === 'slack' ? '/sy ' : '/';
      return { private: true, text: `You have no tasks yet. Try: ${p}generate Write a haiku about the sea` };
    }
    const lines = items.map((t) => {
      const title = t.title.length > 60 ? `${t.title.slice(0, 59)}…` : t.title;
      return `${STATUS_ICON[t.status]} ${shortId(t.id)}  ${t.status}  “${title}”`;
    });
    return { private: true, text: `Your recent tasks:\n${lines.join('\n')}\nAll of them: ${this.portal()}/` };
  }

  private async cancel(ref: string, userId: string): Promise<ChatReply> {
    const t = await this.findTask(ref, userId);
    if ('text' in t) return t;
    try {
      const out = await this.deps.tasks.cancel(t.id, { userId });
      return { private: true, text: `🚫 Cancelled task ${shortId(out.id)}.`, taskId: out.id };
    } catch (e) {
      if (isAppError(e) && e.code === 'conflict')
        return {
          private: true,
          text: `Task ${shortId(t.id)} has already ${t.status === 'cancelled' ? 'been cancelled' : 'finished'}; nothing to cancel.`,
        };
      if (isAppError(e) && e.code === 'not_found')
        return { private: true, text: `I can’t find task ${shortId(t.id)} among yours.` };
      throw e;
    }
  }

  private async share(ref: string, userId: string): Promise<ChatReply> {
    let contentId: string | null = null;
    const r = ref.trim().toLowerCase();
    const t = await this.findTask(r, userId);
    if (!('text' in t)) {
      if (t.status !== 'completed' || !t.contentId)
        return {
          private: true,
          text: `Task ${shortId(t.id)} is ${t.status}; there is nothing to share until it completes.`,
        };
      contentId = t.contentId;
    } else if (UUID.test(r) && this.deps.content) {
      contentId = (await this.deps.content.ownedContent(userId, r))?.id ?? null;
      if (!contentId) return { private: true, text: 'I can’t find that task or content among yours.' };
    } else {
      return t;
    }
    if (!this.deps.shares) {
      return {
        private: true,
        text: `Open it in the portal to share it: ${this.portal()}/content/${contentId}`,
      };
    }
    const s = await this.deps.shares.create(userId, contentId);
    return {
      private: true,
      text: `🔗 Read-only link (valid until ${s.expiresAt.toISOString().slice(0, 16).replace('T', ' ')} UTC): ${s.url}`,
    };
  }

  private async comment(ref: string, text: string, userId: string): Promise<ChatReply> {
    const id = ref.trim().toLowerCase();
    if (!UUID.test(id)) return { private: true, text: `"${ref.slice(0, 40)}" is not a content id.` };
    if (!this.deps.collab)
      return { private: true, text: `Comment in the portal: ${this.portal()}/content/${id}` };
    try {
      await this.deps.collab.comment(userId, id, text);
      return { private: true, text: `💬 Comment added: ${this.portal()}/content/${id}` };
    } catch (e) {
      if (isAppError(e) && e.code === 'not_found')
        return {
          private: true,
          text: 'I can’t find that content among what you can read (is your account linked?).',
        };
      throw e;
    }
  }

  private async approve(ref: string, userId: string): Promise<ChatReply> {
    const id = ref.trim().toLowerCase();
    if (!UUID.test(id)) return { private: true, text: `"${ref.slice(0, 40)}" is not a content id.` };
    if (!this.deps.collab)
      return { private: true, text: `Approve it in the portal: ${this.portal()}/content/${id}` };
    try {
      const c = await this.deps.collab.approve(userId, id);
      return { private: true, text: `✅ Approved "${c.title}" (now ${c.reviewState.replace('_', ' ')}).` };
    } catch (e) {
      if (isAppError(e) && e.code === 'not_found')
        return {
          private: true,
          text: 'I can’t find that content among what you can read (is your account linked?).',
        };
      if (isAppError(e) && (e.code === 'forbidden' || e.code === 'conflict'))
        return { private: true, text: e.message };
      throw e;
    }
  }

  private async link(
    code: string,
    key: ChatIdentityKey,
    current: ChatIdentityRecord | null,
  ): Promise<ChatReply> {
    const out = await this.deps.links.redeem(code, key, current?.user.id ?? null);
    const where = PLATFORM_NAME[key.platform];
    if (out.ok) {
      if (out.alreadyLinked)
        return { private: true, text: `This ${where} account is already linked to ${out.username}.` };
      const moved = out.movedTasks
        ? ` Your ${out.movedTasks} earlier task${out.movedTasks === 1 ? '' : 's'} moved with it.`
        : '';
      return {
        private: true,
        text: `🔗 Linked! This ${where} account now works as ${out.username}: your tasks, budgets and history follow you across platforms.${moved}`,
      };
    }
    const again = `Get a new code at ${this.portal()}/links.`;
    switch (out.reason) {
      case 'expired':
        return { private: true, text: `That code has expired (codes last 10 minutes). ${again}` };
      case 'used':
        return { private: true, text: `That code has already been used. ${again}` };
      case 'suspended':
        return { private: true, text: 'That account is suspended, so it can’t be linked.' };
      default:
        return {
          private: true,
          text: `That isn’t a valid link code. Check it, or ${again.charAt(0).toLowerCase()}${again.slice(1)}`,
        };
    }
  }

  private async listProviders(platform: ChatPlatform): Promise<ChatReply> {
    if (!this.deps.providers)
      return { private: true, text: `See the available providers in the portal: ${this.portal()}/` };
    const items = await this.deps.providers.listActive();
    if (!items.length)
      return {
        private: true,
        text: 'No AI provider is active right now; an administrator needs to add or enable one.',
      };
    const p = platform === 'slack' ? '/sy ' : '/';
    const lines = items.map(
      (x) =>
        `• ${x.name} (${x.kind}${x.tier === 'secondary' ? ', fallback' : ''})${x.strengths.length ? ` — good at ${x.strengths.slice(0, 3).join(', ')}` : ''}`,
    );
    return {
      private: true,
      text: `Active providers:\n${lines.join('\n')}\nPick one with: ${p}generate --provider NAME <prompt>`,
    };
  }
}
