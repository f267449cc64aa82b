import type { ProviderKind } from '../providers/connector.js';

/** The router's vocabulary: what it reads about providers and what it decides. */

export type Priority = 'low' | 'normal' | 'high' | 'urgent';
export type CircuitState = 'closed' | 'open' | 'half_open';

export interface ScoreWeights {
  competency: number;
  budget: number;
  load: number;
  latency: number;
  reliability: number;
  cost: number;
}

export type ScoreTerms = ScoreWeights;

export interface CircuitSettings {
  failureThreshold: number;
  errorRateThreshold: number;
  minSamples: number;
  windowSeconds: number;
  cooldownSeconds: number;
}

/** config/routingWeights.ts */
export interface RoutingSettings {
  weights: Record<Priority, ScoreWeights>;
  minCompetency: number;
  latencyRefMs: number;
  costRefUsd: number;
  maxAttemptsPerRun: number;
  pinnedPolicy: 'prefer' | 'strict';
  inputSafetyFactor: Partial<Record<ProviderKind, number>>;
  statsWindowSeconds: number;
  circuit: CircuitSettings;
}

export interface RoutingAccount {
  id: string;
  name: string;
  status: 'active' | 'disabled';
  /** A team's account serves only that team's tasks (and first); null = every task. */
  teamId?: string | null;
  tokenLimit: number;
  tokenUsed: number;
  tokenReserved: number;
}

export interface RoutingHealth {
  circuit: CircuitState;
  consecutiveFailures: number;
  /** When the circuit last opened. */
  openedAt: Date | null;
  /** When the state last changed (for half-open: when the probe was let through). */
  changedAt: Date | null;
}

export interface RoutingStats {
  /** Attempts on the provider that are running now. */
  inFlight: number;
  /** Median latency of recent successful attempts; null with no samples. */
  p50LatencyMs: number | null;
  /** 95th percentile latency of recent successful attempts (the time a call takes to finish); null or absent with no samples. */
  p95LatencyMs?: number | null;
  /** 95th percentile time to first token of recent successful attempts; null or absent with no samples. */
  p95TtftMs?: number | null;
  /**
   * Output tokens per second after the first token, at the slow end of recent successful attempts
   * (their 5th percentile, so that with p95TtftMs it predicts a late finish); null or absent with no samples.
   */
  tokensPerSecond?: number | null;
  /** Share of recent attempts that failed for provider-side reasons; null with no samples. */
  errorRate: number | null;
  samples: number;
}

/** One provider as the router sees it: configuration, accounts, circuit and recent statistics. */
export interface RoutingProvider {
  id: string;
  name: string;
  kind: ProviderKind;
  tier: 'primary' | 'secondary';
  status: 'active' | 'disabled';
  competencies: Record<string, number>;
  costPer1kInput: number;
  costPer1kOutput: number;
  timeoutMs: number;
  accounts: RoutingAccount[];
  health: RoutingHealth;
  stats: RoutingStats;
  /** Per-provider circuit settings (provider.config.circuitBreaker), over the defaults. */
  circuit?: Partial<CircuitSettings>;
}

export interface RouteRequest {
  taskType: string;
  priority: Priority;
  pinnedProviderId: string | null;
  /** The task's team: its accounts are preferred, other teams' accounts are never used. */
  teamId?: string | null;
  /** Input tokens of the system prompt + prompt (OpenAI tokenizer), before the per-kind safety factor. */
  inputTokens: number;
  /** The output cap the provider is asked for. */
  maxOutputTokens: number;
  /** Time left in the source's budget (core/routing/deadlines.ts); null or absent: no deadline. */
  timeLeftMs?: number | null;
  /** The task's source, named in the decision when the deadline reorders candidates. */
  source?: string;
}

export type DropReason =
  | 'disabled'
  | 'no_connector'
  | 'no_competency'
  | 'circuit_open'
  | 'probe_in_flight'
  | 'no_account'
  | 'no_budget'
  | 'not_pinned';

export interface AccountChoice {
  id: string;
  name: string;
  /** Tokens left after this task's reservation. */
  remainingAfter: number;
  /** The account belongs to the task's team. */
  team?: boolean;
}

/** How a candidate's predicted finish compares with the time left in its source's budget (deadlines.ts). */
export interface CandidateDeadline {
  leftMs: number;
  fits: boolean;
  /** p95 time to first token + output tokens ÷ tokens/s, else the p95 total latency; null with no samples. */
  predictedMs: number | null;
  /** What the prediction was made from. */
  basis: 'ttft_and_rate' | 'p95_latency' | 'no_samples';
}

export interface CandidateEvaluation {
  providerId: string;
  name: string;
  kind: ProviderKind;
  tier: 'primary' | 'secondary';
  competency: number;
  circuit: CircuitState;
  kept: boolean;
  reason?: DropReason;
  /** Human-readable why, for kept and dropped alike. */
  note: string;
  /** Tokens reserved if this provider is called (input estimate × safety factor + output cap). */
  estimatedTokens: number;
  estimatedCostUsd: number;
  /** Accounts with room for the estimate, best first (kept candidates only). */
  accounts: AccountChoice[];
  /** Dropped for budget, but an account would have room once in-flight reservations settle. */
  budgetHeldByReservations?: boolean;
  /** The circuit is open past its cool-down: calling it is the half-open probe. */
  probe: boolean;
  terms?: ScoreTerms;
  score?: number;
  /** Position in the chain (1 = tried first); absent when dropped. */
  rank?: number;
  pinned?: boolean;
  /** The provider's recent p95 latency, when known. */
  p95LatencyMs?: number | null;
  /** The provider's recent p95 time to first token, when known. */
  p95TtftMs?: number | null;
  /** The provider's recent output rate (slow end, tokens/s), when known. */
  tokensPerSecond?: number | null;
  /** With a source deadline: the time left, the predicted finish (null: no samples) and whether it fits. */
  deadline?: CandidateDeadline;
}

export interface RoutePlan {
  taskType: string;
  priority: Priority;
  weights: ScoreWeights;
  estimate: { inputTokens: number; maxOutputTokens: number };
  pinned: { providerId: string; policy: 'prefer' | 'strict'; honoured: boolean; reason?: string } | null;
  /** Every provider considered, in score order (kept first). */
  candidates: CandidateEvaluation[];
  /** Kept candidates in the order they will be tried. */
  chain: CandidateEvaluation[];
  /** Which tier the first choice came from. */
  tier: 'primary' | 'secondary' | null;
}
