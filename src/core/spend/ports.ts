import type { SqlExecutor } from '../tasks/ports.js';
import type { TaskRecord } from '../tasks/types.js';
import type { Price } from './pricing.js';

export interface PriceOverride extends Price {
  providerKind: string;
  /** A model name, or '*' for every model of the kind. */
  model: string;
}

export interface PriceOverrideStore {
  list(): Promise<PriceOverride[]>;
  /** Replaces the whole override table in one transaction. */
  replace(items: PriceOverride[], by: string): Promise<void>;
}

export const BUDGET_SCOPES = [
  'team',
  'user',
  'chat_workspace',
  'api_token',
  'hook',
  'provider_account',
] as const;
export type BudgetScope = (typeof BUDGET_SCOPES)[number];
export const BUDGET_PERIODS = ['daily', 'weekly', 'monthly', 'total'] as const;
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];
export const BUDGET_ACTIONS = ['block', 'approve', 'notify'] as const;
export type BudgetAction = (typeof BUDGET_ACTIONS)[number];

export interface AlertTargets {
  slackChannel?: string;
  webhookUrl?: string;
}

export interface BudgetRecord {
  id: string;
  scope: BudgetScope;
  scopeId: string;
  teamId: string | null;
  ownerUserId: string | null;
  name: string | null;
  limitMicros: number | null;
  limitTokens: number | null;
  period: BudgetPeriod;
  timeZone: string;
  action: BudgetAction;
  alertThresholds: number[];
  alertTargets: AlertTargets;
  spentMicros: number;
  spentTokens: number;
  reservedMicros: number;
  reservedTokens: number;
  resetsAt: Date | null;
  /** Who created it (its webhook alerts are signed with this user's callback secret). */
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export type BudgetFields = Pick<
  BudgetRecord,
  | 'name'
  | 'limitMicros'
  | 'limitTokens'
  | 'period'
  | 'timeZone'
  | 'action'
  | 'alertThresholds'
  | 'alertTargets'
>;

/** Who a scope's object belongs to (for authorisation); null when it does not exist. */
export interface ScopeOwner {
  teamId: string | null;
  userId: string | null;
}

/** What identifies the route-independent budgets that apply to a task at intake. */
export interface IntakeScopes {
  taskId: string;
  userId: string;
  teamId: string | null;
  webhookId: string | null;
  apiTokenId: string | null;
  chatWorkspace: { platform: string; externalId: string } | null;
}

/**
 * A gateway call's task row, written by the reservation statement itself when a budget applies: the
 * call's task does not exist before the call (budget_reservations points at it), and the gateway's
 * recorder completes it after the response (status running → completed/failed, source gateway).
 */
export interface PendingTask {
  title: string;
  description: string;
  taskType: string;
}

export interface OverBudget {
  id: string;
  scope: BudgetScope;
  name: string | null;
  action: BudgetAction;
  limitMicros: number | null;
  limitTokens: number | null;
  resetsAt: Date | null;
}

/** A budget that crossed alert thresholds with the last settlement. */
export interface CrossedBudget {
  budget: BudgetRecord;
  /** The thresholds (percent) reached for the first time in this period. */
  thresholds: number[];
}

export interface BudgetStore {
  owner(scope: BudgetScope, scopeId: string): Promise<ScopeOwner | null>;
  create(
    b: BudgetFields & { scope: BudgetScope; scopeId: string } & ScopeOwner,
    by: string,
  ): Promise<BudgetRecord>;
  get(id: string): Promise<BudgetRecord | null>;
  list(q: { all?: boolean; teamIds: string[]; userId: string }): Promise<BudgetRecord[]>;
  update(id: string, patch: Partial<BudgetFields>): Promise<BudgetRecord | null>;
  delete(id: string): Promise<boolean>;
  /**
   * In ONE statement inside the intake transaction: reserves `micros`/`tokens` on every applicable
   * budget if each `block` budget has room, all or nothing. Returns the budgets over their limit
   * (nothing was reserved then) — empty when the reservation was made.
   */
  /** The budgets a task with these scopes would be reserved against (as `reserve` finds them). */
  applicable(scopes: Omit<IntakeScopes, 'taskId'>): Promise<BudgetRecord[]>;
  reserve(
    tx: SqlExecutor,
    scopes: IntakeScopes,
    micros: number,
    tokens: number,
    /**
     * `approved`: an approval accepts the overspend of `approve` budgets; only `block` budgets refuse.
     * `pending`: a gateway call's task row, written by the same statement when a budget was reserved.
     */
    opts?: { approved?: boolean; pending?: PendingTask },
  ): Promise<OverBudget[]>;
  /**
   * Exactly once per task (settled_at on its reservations): releases what was reserved and charges
   * the task's real cost and tokens; then records the alert thresholds newly crossed (one row per
   * budget, period and threshold) and returns them.
   */
  settle(taskId: string): Promise<CrossedBudget[]>;
  /** `settle` for many tasks in one statement (the gateway's recorder, per batch). */
  settleMany(taskIds: string[]): Promise<CrossedBudget[]>;
  /** Settles every reservation of tasks that have ended (a missed settle); returns the crossings. */
  /** Settles ended tasks left unsettled, and checks the provider-account budgets' alert thresholds. */
  settleEnded(): Promise<CrossedBudget[]>;
  /** Who gets a budget's portal alerts: its team's owners and admins, or the user it belongs to, and its creator. */
  alertRecipients(b: BudgetRecord): Promise<string[]>;
  /** Micro-dollars settled on the budget since `since`. */
  spentSince(budgetId: string, since: Date): Promise<number>;
  /**
   * Gateway money leases (issue 17), in ONE statement: locks the caller's applicable budgets in id
   * order and, if every `block`/`approve` budget has room for one call (`micros`/`tokens`), reserves
   * a chunk of `k` calls on all of them (k ≤ size.calls, the chunk ≤ 1/size.share of the smallest room
   * left, k ≥ 1), counted in budget_leases under `processId`. All or nothing.
   */
  lease(
    processId: string,
    scopes: LeaseScopes,
    micros: number,
    tokens: number,
    size: { calls: number; share: number },
  ): Promise<LeaseGrant>;
  /** Gives back `micros`/`tokens` of this process's lease on each of `budgetIds` (never more than it holds). */
  releaseLease(processId: string, budgetIds: string[], micros: number, tokens: number): Promise<void>;
  /**
   * Settles leased gateway calls once each (a budget_reservations row per call and budget, settled
   * at once; a call settled already changes nothing): the budget's and the lease's reserved amounts
   * shrink by the call's estimate, spent grows by its real cost. Returns the alert crossings.
   */
  settleLeased(processId: string, calls: LeasedCall[]): Promise<CrossedBudget[]>;
  /**
   * This process is alive for what it holds (budget_leases.heartbeat_at). Returns the budgets it
   * still has lease rows on (a row the sweep took is missing).
   */
  heartbeatLeases(processId: string): Promise<string[]>;
  /** Forgets this process's emptied lease rows (shutdown, after the last settlement and release). */
  dropEmptyLeases(processId: string): Promise<void>;
  /**
   * The budget job's sweep: gives back what processes silent for `staleSeconds` still hold (their
   * leases and their unsettled calls). Returns the micro-dollars released.
   */
  releaseDeadLeases(staleSeconds: number): Promise<number>;
}

/** The caller of a gateway call: its user, the team of a team token, the API token. */
export interface LeaseScopes {
  userId: string;
  teamId: string | null;
  apiTokenId: string | null;
}

export type LeaseGrant =
  /** No budget applies to the caller. */
  | { kind: 'none' }
  /** A block/approve budget has no room for the call: nothing reserved. */
  | { kind: 'over'; over: OverBudget }
  /** Reserved on every one of `budgetIds`; `until`: the earliest period end among them. */
  | { kind: 'granted'; budgetIds: string[]; micros: number; tokens: number; until: Date | null };

/** A gateway call served from a lease, with its estimate and its real cost. */
export interface LeasedCall {
  taskId: string;
  /** The lease generation (budget_leases.process_id) the call was reserved under (GatewayBudgetLeases). */
  processId?: string;
  budgetIds: string[];
  reservedMicros: number;
  reservedTokens: number;
  costMicros: number;
  usedTokens: number;
}

/** An `approve` budget that held a task at intake, as recorded on its approval. */
export interface HeldBy {
  id: string;
  scope: BudgetScope;
  name: string | null;
  limitMicros: number | null;
  limitTokens: number | null;
  resetsAt: string | null;
}

export type ApprovalDecision = 'approved' | 'rejected' | 'expired';

/** A task waiting in (or decided from) `awaiting_approval` (table task_approvals). */
export interface ApprovalRecord {
  taskId: string;
  budgets: HeldBy[];
  estimatedMicros: number;
  estimatedTokens: number;
  apiTokenId: string | null;
  expiresAt: Date;
  decision: ApprovalDecision | null;
  decidedBy: string | null;
  decidedAt: Date | null;
  createdAt: Date;
}

export interface ApprovalStore {
  /**
   * Inside the intake transaction, after the task row is written: the task becomes
   * awaiting_approval (with its estimate), its approval row is written, and an idempotency
   * ledger snapshot of it says so too. Returns the approval.
   */
  hold(
    tx: SqlExecutor,
    taskId: string,
    a: Pick<ApprovalRecord, 'budgets' | 'estimatedMicros' | 'estimatedTokens' | 'apiTokenId'> & {
      ttlMinutes: number;
    },
  ): Promise<ApprovalRecord>;
  get(taskId: string): Promise<ApprovalRecord | null>;
  /**
   * In ONE transaction: awaiting_approval → `queued` (approved) or `cancelled` with `error`
   * (rejected), guarded by the status so only one decision wins; then `inTx` (reserve, enqueue).
   * 'not_waiting' when the task is not awaiting approval, null when unknown.
   */
  decide(
    taskId: string,
    d: { decision: 'approved' | 'rejected'; by: string; error?: string },
    inTx: (task: TaskRecord, approval: ApprovalRecord, tx: SqlExecutor) => Promise<void>,
  ): Promise<{ task: TaskRecord; approval: ApprovalRecord } | 'not_waiting' | null>;
  /**
   * Ends up to `limit` waiting tasks whose approval has expired: failed with `error`, decision
   * `expired` — each exactly once (status guard), `inTx` per task in its transaction.
   */
  expireDue(
    limit: number,
    error: string,
    inTx: (task: TaskRecord, tx: SqlExecutor) => Promise<void>,
  ): Promise<TaskRecord[]>;
  /** Who may approve: the team's owners and admins for a team task, else its owner. */
  approvers(task: Pick<TaskRecord, 'userId' | 'teamId'>): Promise<string[]>;
}
