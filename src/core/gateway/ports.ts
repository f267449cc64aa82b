import type { RoutingTarget } from '../routing/ports.js';
import type { OverBudget } from '../spend/ports.js';
import type { CallUsage } from '../spend/pricing.js';

/**
 * What the gateway needs from storage (src/models/gatewayStore.ts). The reservation is one
 * statement on the hot path; everything else about a call is written after its response, in
 * batches, by `record` — which also settles the reservations, exactly once per call.
 */
export interface GatewayStore {
  /** The router's view of providers, budgets and circuits (may be a few hundred ms old). */
  snapshot(): Promise<RoutingTarget[]>;
  /**
   * Reserves `tokens` on the account if it is active and has room, and `micros` on the account's own
   * money budgets (provider_account scope) if every block/approve one has room: in ONE statement, or
   * out of a lease this process already holds on the account (reserved by such a statement). Returns
   * the micro-dollars reserved and the budgets they were reserved on (0 and none when the account has
   * no money budget), null when refused.
   */
  reserve(accountId: string, tokens: number, micros?: number): Promise<AccountHold | null>;
  /** Gives back what the leases hold beyond the calls in flight (`idleMs`: only leases idle that long). */
  releaseLeases(idleMs?: number): Promise<void>;
  /** Stops the idle-lease timer and gives every lease back (shutdown, after the recorder's last batch). */
  close(): Promise<void>;
  /**
   * Gives back what calls that will never be recorded (the recorder dropped them) reserved on their
   * accounts: tokens and money go back to this process's leases (or to the budgets, when the lease's
   * budgets changed since), and from there to the accounts as any unused lease.
   */
  dropped(calls: GatewayCallRecord[]): Promise<void>;
  /**
   * Stores the calls as completed or failed tasks (source `gateway`) with their attempts, and settles
   * each attempt's reservation (release it, charge the real usage) in the same statement. Idempotent
   * by task id: a call recorded twice (a retried batch) is stored and charged once.
   */
  record(calls: GatewayCallRecord[]): Promise<void>;
}

/** What a call reserved on a provider account's own money budgets. */
export interface AccountHold {
  micros: number;
  budgetIds: string[];
  /** The lease generation (process id in gateway_leases/budget_leases) it was reserved under. */
  leaseId?: string;
}

export interface GatewayAttempt {
  id: string;
  providerId: string;
  providerName: string;
  /** The provider's kind: with the model, what prices the attempt (the PriceBook). */
  providerKind: string;
  accountId: string;
  status: 'succeeded' | 'failed' | 'aborted';
  model: string | null;
  tokensInput: number;
  tokensOutput: number;
  tokensReserved: number;
  /** Micro-dollars reserved on the account's own money budgets (given back when recorded). */
  microsReserved?: number;
  /** The account's budgets `microsReserved` was reserved on (each got all of it). */
  microsBudgetIds?: string[];
  /** The lease generation the reservation was made under (AccountHold.leaseId): recorded under it. */
  leaseId?: string;
  latencyMs: number;
  errorCode: string | null;
  errorMessage: string | null;
  /** Priced from the real usage by the recorder before the batch is written (integer micro-dollars). */
  costMicros?: number;
}

export interface GatewayCallRecord {
  taskId: string;
  userId: string;
  /** A team-scoped token's team: the recorded task is the team's. */
  teamId: string | null;
  taskType: string;
  title: string;
  description: string;
  status: 'completed' | 'failed';
  error: string | null;
  /** The pinned provider (`<provider>/<model>`), if any. */
  providerId: string | null;
  model: string | null;
  maxTokens: number;
  temperature?: number;
  createdAt: Date;
  completedAt: Date;
  routing: Record<string, unknown>;
  attempts: GatewayAttempt[];
  /** Budgets were reserved for the call: settle them once it is recorded. */
  budgeted?: boolean;
  /** What the call took from its caller's budget lease (settled once after the call is recorded). */
  hold?: BudgetHold;
  /** The estimate reserved for the call (tasks.estimated_cost_micros). */
  estimatedMicros?: number;
}

/** What a gateway call holds on its caller's budgets (out of this process's lease). */
export interface BudgetHold {
  budgetIds: string[];
  micros: number;
  tokens: number;
  /** The lease generation it was reserved under: settled under it. */
  processId?: string;
}

/** What identifies the call for the caller's route-independent budgets (user, team of a team token, API token). */
export interface GatewayBudgetCall {
  taskId: string;
  userId: string;
  teamId: string | null;
  apiTokenId: string | null;
  taskType: string;
  title: string;
  description: string;
}

/**
 * Spend control on the gateway (wired in src/composeGateway.ts over core/spend): the same PriceBook
 * as tasks prices calls, and the intake reservation statement reserves against the caller's budgets.
 */
export interface GatewaySpend {
  /** The most the call could cost on any of `candidates` (integer micro-dollars). */
  estimate(candidates: Array<{ kind: string; model: string | null }>, usage: CallUsage): Promise<number>;
  /**
   * Reserves on every budget of the caller, all or nothing: out of this process's lease on them, or
   * in ONE statement that reserves a new lease. `reserved` is false when no budget applies (nothing
   * to settle); `over` names a block/approve budget without room; `hold` is what the call took.
   */
  reserve(
    call: GatewayBudgetCall,
    micros: number,
    tokens: number,
  ): Promise<{ reserved: boolean; over?: OverBudget; hold?: BudgetHold }>;
}
