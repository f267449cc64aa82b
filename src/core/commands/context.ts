import type { LinkService } from '../linking/linkService.js';
import type { Log } from '../log.js';
import type { Settings } from '../settings/settings.js';
import type { TaskCommands, TaskRecord } from '../tasks/types.js';
import type { ChatCommand, CommandName, ParseResult } from './grammar.js';
import type { ChatPlatform } from './help.js';
import type {
  AdmissionReads,
  ChatCollab,
  ChatIdentityKey,
  ChatIdentityRecord,
  ChatIdentityStore,
  ContentLookup,
  DeliveryLedger,
  PendingRunStore,
  ProviderDirectory,
  ShareLinks,
} from './ports.js';
import type { ButtonAction, ChatReply } from './reply.js';

/** Where a task's progress and result go: adapter-defined JSON, stored on the task. */
export type OriginSource = Record<string, unknown> | (() => Promise<Record<string, unknown>>);

/** The platform's delivery id (Slack trigger/event id, Discord interaction id, Telegram update_id). */
export interface Delivery {
  source: string;
  id: string;
}

export interface ChatRequest {
  identity: ChatIdentityKey;
  parsed: ParseResult;
  delivery: Delivery;
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
  delivery: Delivery;
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

export interface ChatHandlerDeps {
  tasks: TaskCommands;
  identities: ChatIdentityStore;
  links: LinkService;
  admission: AdmissionReads;
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
  log: Log;
  /** Task type for `generate` without --type. */
  defaultTaskType?: string;
  /** Tasks held by an `approve` budget (core/spend/approvals.ts): the Approve/Reject buttons. */
  approvals?: ChatApprovals;
  /** Cost confirmation before running; without it `generate` submits at once. */
  estimates?: ChatEstimates;
  /** The team a chat workspace is attached to (core/teams), if any. */
  teamForWorkspace?: (platform: ChatPlatform, externalId: string) => Promise<string | null>;
}

/**
 * Who is typing, resolved once before a command runs: an active user, linked or a guest made for
 * the identity on first use (only `link` runs without one; it gets `LinkWho`).
 */
export interface Who {
  identity: ChatIdentityRecord;
  userId: string;
  isGuest: boolean;
}

/** `link` runs for any identity: the one already known (whatever its user's state), or none yet. */
export type LinkWho = { known: true; identity: ChatIdentityRecord } | { known: false };

/** What every command and button sees: the request, the ports, and run-at-most-once. */
export interface BaseContext {
  deps: ChatHandlerDeps;
  key: ChatIdentityKey;
  platform: ChatPlatform;
  delivery: Delivery;
  /** The portal's public URL. */
  portal: string;
  /** The origin to store on a new task (calls the adapter's function, if it gave one). */
  origin(): Promise<Record<string, unknown>>;
  /** Runs a side effect at most once per delivery, replaying its reply to repeats. */
  once(run: () => Promise<ChatReply>): Promise<ChatReply>;
}

export type CommandOf<N extends CommandName> = Extract<ChatCommand, { name: N }>;

export interface CommandContext<N extends CommandName> extends BaseContext {
  cmd: CommandOf<N>;
  who: Who;
  workspace: string | undefined;
}

export interface ActionContext extends BaseContext {
  /** The pressed button's id: a task's, or (Run/Cancel) a pending request's. */
  taskId: string;
  who: Who;
}

export interface LinkContext<N extends CommandName> extends BaseContext {
  cmd: CommandOf<N>;
  current: LinkWho;
}

export interface HelpContext {
  platform: ChatPlatform;
  portal: string;
}

/**
 * One chat command. `who` says what runs first: `user` — the rate limit, then an active user
 * (`ctx.who`); `identity` — the rate limit, then whatever identity exists (`link`); `none` — nothing
 * (`help`). `once` runs it at most once per delivery (commands with side effects).
 */
export type CommandModule<N extends CommandName> =
  | { name: N; who: 'user'; once: boolean; run(ctx: CommandContext<N>): Promise<ChatReply> }
  | { name: N; who: 'identity'; once: boolean; run(ctx: LinkContext<N>): Promise<ChatReply> }
  | { name: N; who: 'none'; run(ctx: HelpContext): Promise<ChatReply> };

/** One button: always for an active user, `once` as for commands. */
export interface ActionModule {
  action: ButtonAction;
  once: boolean;
  run(ctx: ActionContext): Promise<ChatReply>;
}
