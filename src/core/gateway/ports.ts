import type { RoutingTarget } from '../routing/ports.js';

/**
 * What the gateway needs from storage (src/models/gatewayStore.ts). The reservation is one
 * statement on the hot path; everything else about a call is written after its response, in
 * batches, by `record` — which also settles the reservations, exactly once per call.
 */
export interface GatewayStore {
  /** The router's view of providers, budgets and circuits (may be a few hundred ms old). */
  snapshot(): Promise<RoutingTarget[]>;
  /**
   * Reserves `tokens` on the account if it is active and has room: in ONE statement, or out of a
   * lease this process already holds on the account (reserved in the database by such a statement).
   */
  reserve(accountId: string, tokens: number): Promise<boolean>;
  /** Gives back what the leases hold beyond the calls in flight (`idleMs`: only leases idle that long). */
  releaseLeases(idleMs?: number): Promise<void>;
  /** Stops the idle-lease timer and gives every lease back (shutdown, after the recorder's last batch). */
  close(): Promise<void>;
  /**
   * Stores the calls as completed or failed tasks (source `gateway`) with their attempts, and settles
   * each attempt's reservation (release it, charge the real usage) in the same statement. Idempotent
   * by task id: a call recorded twice (a retried batch) is stored and charged once.
   */
  record(calls: GatewayCallRecord[]): Promise<void>;
}

export interface GatewayAttempt {
  id: string;
  providerId: string;
  providerName: string;
  accountId: string;
  status: 'succeeded' | 'failed' | 'aborted';
  model: string | null;
  tokensInput: number;
  tokensOutput: number;
  tokensReserved: number;
  latencyMs: number;
  errorCode: string | null;
  errorMessage: string | null;
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
}
