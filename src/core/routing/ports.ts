import type { ExecutionOutcome } from '../tasks/executor.js';
import type { CircuitSettings, CircuitState, RoutingAccount, RoutingProvider } from './types.js';

/**
 * What the routed executor needs from storage. Implemented in src/models (routingStore.ts,
 * budgetStore.ts, providerHealthStore.ts) on PostgreSQL; every budget and circuit write is one SQL
 * statement so concurrent workers in any number of processes stay consistent.
 */

export interface TargetAccount extends RoutingAccount {
  /** Opens the account's credentials (decrypted only when the account is about to be called). */
  openCredentials(): { apiKey?: string; [k: string]: unknown };
}

/** A provider with what the connector needs to call it. */
export interface RoutingTarget extends RoutingProvider {
  apiEndpoint: string | null;
  defaultModel: string | null;
  models: string[];
  config: Record<string, unknown>;
  accounts: TargetAccount[];
}

export interface RoutingStore {
  /** Every provider (active or not) with its accounts, circuit state and recent statistics. */
  snapshot(): Promise<RoutingTarget[]>;
  /**
   * Stores the decision on the task (tasks.routing). Saving a new `runKey` moves the previous run's
   * decision into `previousRuns`; saving the same run again replaces it.
   */
  saveDecision(taskId: string, runKey: string, decision: Record<string, unknown>): Promise<void>;
}

export interface StartAttempt {
  /** The attempt's id (task_assignments.id), chosen by the caller so the decision can name it. */
  id?: string;
  taskId: string;
  providerId: string;
  providerName: string;
  accountId: string;
  attempt: number;
  model: string | null;
  /** Tokens to reserve: the estimate (input × safety factor + output cap). */
  tokens: number;
  /**
   * Micro-dollars to reserve on the account's money budgets (provider_account scope): the same
   * estimate priced for this provider and model. No room on a `block` budget → no reservation.
   */
  micros?: number;
}

export interface SettleAttempt {
  status: 'succeeded' | 'failed' | 'aborted';
  model?: string | null;
  tokensInput?: number;
  tokensOutput?: number;
  /** Tokens charged to the account (0 for a failed attempt: the reservation is simply released). */
  tokensUsed?: number;
  latencyMs?: number | null;
  /** Request sent → first token (a succeeded call); feeds the router's time-to-first-token estimate. */
  ttftMs?: number | null;
  /** The call's cost in integer micro-dollars, from its real usage and the price table. */
  costMicros?: number;
  errorCode?: string | null;
  errorMessage?: string | null;
  /**
   * A succeeded call's answer, stored on the attempt in the settling statement: the checkpoint that
   * lets a re-run of the task finish without calling a provider again (see BudgetLedger.settledOutput).
   */
  output?: AttemptOutput;
}

/** What a successful attempt keeps to complete its task later: the outcome, less the attempt's own id. */
export type AttemptOutput = Omit<ExecutionOutcome, 'assignmentId'>;

/** A routing decision to store on its task with a ledger write, as RoutingStore.saveDecision does. */
export interface DecisionRecord {
  taskId: string;
  runKey: string;
  decision: Record<string, unknown>;
}

export interface BudgetLedger {
  /**
   * In ONE statement: reserves `tokens` on the account if used + reserved + tokens ≤ limit and the
   * account is active, and opens the attempt (task_assignments row with tokens_reserved). Null when
   * the account no longer has room (another worker got there first). `record` is stored on the task
   * in the same statement, only when the reservation was made.
   */
  reserveAndStart(a: StartAttempt, record?: DecisionRecord): Promise<string | null>;
  /**
   * Exactly once per attempt (settled_at): closes the attempt, releases its reservation and charges
   * the real usage. A second call changes nothing and returns false. `record` is stored on the task
   * in the same statement either way.
   */
  settle(assignmentId: string, r: SettleAttempt, record?: DecisionRecord): Promise<boolean>;
  /** Releases the reservations of this task's attempts that a previous run left unsettled (a lost worker). */
  releaseUnsettled(taskId: string): Promise<number>;
  /**
   * The answer of this task's settled, succeeded attempt that still holds its output (an earlier run
   * got it but its worker stopped before the task completed), with that attempt's id; null if none.
   */
  settledOutput(taskId: string): Promise<ExecutionOutcome | null>;
}

export interface HealthRecorder {
  /** A successful call: resets the failure count and closes a half-open circuit. */
  recordSuccess(providerId: string): Promise<void>;
  /** A provider-side failure: counts it and opens the circuit when the settings say so. */
  recordFailure(providerId: string, error: string, circuit: CircuitSettings): Promise<CircuitState>;
  /** Takes the half-open probe (open past its cool-down, or a stale probe). False if another worker has it. */
  claimProbe(providerId: string, cooldownSeconds: number, staleMs: number): Promise<boolean>;
  /** Gives an unused probe back (the circuit returns to open, still past its cool-down). */
  releaseProbe(providerId: string): Promise<void>;
}
