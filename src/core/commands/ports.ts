import type { IdentityKey, IdentityRecord } from '../linking/identity.js';
import type { Priority } from '../tasks/types.js';
import type { ChatPlatform } from './help.js';

/**
 * What the chat command handler needs from storage. Implemented in src/models/ (PostgreSQL);
 * the handler never sees SQL.
 */

/** Who is typing: one account on one platform (Slack users are per workspace; Discord and Telegram ids are global). */
export type ChatIdentityKey = IdentityKey<ChatPlatform>;

export type ChatIdentityRecord = IdentityRecord<ChatPlatform>;

export interface ChatIdentityStore {
  find(key: ChatIdentityKey): Promise<ChatIdentityRecord | null>;
  /** The identity, creating it with a fresh guest user (is_guest, no password) if it is new. Safe under races. */
  ensureGuest(key: ChatIdentityKey): Promise<ChatIdentityRecord>;
}

/**
 * What admission reads before any command, in one statement: the delivery as the ledger saw it
 * before (its reply is replayed), and one hit on the identity's fixed-window counter, shared by
 * every process (rate_counters) — counted for a repeat too.
 */
export interface AdmissionReads {
  read(q: { source: string; deliveryId: string; rateKey: string; windowSeconds: number }): Promise<{
    seen: { taskId: string | null; response: Record<string, unknown> | null } | null;
    /** The window's count so far, this hit included. */
    count: number;
    retryAfterSeconds: number;
  }>;
}

/**
 * The one inbound_deliveries ledger, for commands that do not create a task (a task-creating command
 * dedupes through TaskCommands.submit instead). `claim` inserts (source, deliveryId) and answers
 * false when it was already there.
 */
export interface DeliveryLedger {
  lookup(
    source: string,
    deliveryId: string,
  ): Promise<{ taskId: string | null; response: Record<string, unknown> | null } | null>;
  claim(source: string, deliveryId: string): Promise<boolean>;
  saveResponse(source: string, deliveryId: string, response: Record<string, unknown>): Promise<void>;
}

export interface ProviderSummary {
  id: string;
  name: string;
  kind: string;
  tier: 'primary' | 'secondary';
  /** Task types it is good at, best first. */
  strengths: string[];
}

/** The active providers a chat user may pick with --provider. */
export interface ProviderDirectory {
  listActive(): Promise<ProviderSummary[]>;
  findActiveByName(name: string): Promise<ProviderSummary | null>;
}

/** Creates read-only share links (the content area's service), when it is wired. */
export interface ShareLinks {
  /** A share of the user's content; throws AppError not_found when the content is not theirs. */
  create(userId: string, contentId: string): Promise<{ url: string; expiresAt: Date }>;
}

/** Resolves a content id the user owns (for `share <contentId>`). */
/** Comments and review approval from chat (core/collab); errors are AppErrors (404, 403, 409). */
export interface ChatCollab {
  comment(userId: string, contentId: string, text: string): Promise<{ id: string }>;
  approve(userId: string, contentId: string): Promise<{ reviewState: string; title: string }>;
}

export interface ContentLookup {
  ownedContent(userId: string, contentId: string): Promise<{ id: string; taskId: string | null } | null>;
}

/**
 * A task's origin JSON (tasks.origin): where its result goes and what has been delivered so far.
 * `withLock` serialises every delivery for one task across processes (an advisory lock), so a late
 * progress edit can never overwrite a result.
 */
export interface ChatOriginStore {
  get(taskId: string): Promise<Record<string, unknown> | null>;
  patch(taskId: string, patch: Record<string, unknown>): Promise<void>;
  /** Atomically takes one use of a counted resource (Slack response_url: 5 uses); false when none is left. */
  takeUse(taskId: string, field: string, max: number): Promise<boolean>;
  withLock<T>(taskId: string, fn: () => Promise<T>): Promise<T>;
}

/** What a confirmed chat `generate` submits on Run (issue 14: estimate before running). */
export interface PendingRunRequest {
  prompt: string;
  taskType: string;
  priority?: Priority;
  providerId: string | null;
  teamId: string | null;
  source: 'slack' | 'discord' | 'telegram';
}

export interface PendingRun {
  id: string;
  userId: string;
  request: PendingRunRequest;
  expiresAt: Date;
  decision: 'run' | 'cancelled' | null;
  taskId: string | null;
}

/** Chat `generate` requests waiting for Run/Cancel, stored so they survive a restart. */
export interface PendingRunStore {
  create(p: { userId: string; request: PendingRunRequest; expiresAt: Date }): Promise<string>;
  get(id: string): Promise<PendingRun | null>;
  /**
   * Records the first decision (false when there already is one, or — for `run` — the request has
   * expired). Run is claimed before the task is submitted, so a Cancel cannot win after it.
   */
  decide(id: string, decision: 'run' | 'cancelled'): Promise<boolean>;
  /** The task a claimed Run submitted. */
  attach(id: string, taskId: string): Promise<void>;
}
