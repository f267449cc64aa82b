/**
 * The routing decision as table rows. API.md describes its content ("candidates considered, why
 * each was kept or dropped, scores, the chain tried") but not its field names, so this accepts
 * the obvious spellings and never fails on an unknown shape.
 */

/**
 * The server types candidates and chain steps as open records (`{[key: string]: unknown}`): these are
 * the fields this file looks for, every one optional.
 */
export interface RoutingCandidate {
  providerId?: string | null;
  providerName?: string | null;
  name?: string | null;
  accountId?: string | null;
  accountName?: string | null;
  kept?: boolean;
  selected?: boolean;
  chosen?: boolean;
  status?: string;
  decision?: string;
  reason?: string | null;
  reasons?: string[];
  dropReason?: string | null;
  score?: number | null;
  scores?: Record<string, number>;
  factors?: Record<string, number>;
  breakdown?: Record<string, number>;
}

export interface RoutingChainStep {
  providerId?: string | null;
  providerName?: string | null;
  name?: string | null;
  accountId?: string | null;
  accountName?: string | null;
  outcome?: string;
  status?: string;
  error?: string | null;
  errorMessage?: string | null;
  latencyMs?: number | null;
}

/** A routing decision (GET /api/tasks/:id/routing), or any part of one. */
export interface RoutingInput {
  candidates?: ReadonlyArray<RoutingCandidate | Record<string, unknown>>;
  chain?: ReadonlyArray<RoutingChainStep | Record<string, unknown> | string>;
  [extra: string]: unknown;
}

export interface CandidateRow {
  /** Stable React key. */
  id: string;
  provider: string;
  account: string | null;
  decision: 'chosen' | 'kept' | 'dropped' | 'unknown';
  reason: string | null;
  score: number | null;
  factors: Array<[string, number]>;
}

export interface ChainRow {
  id: string;
  provider: string;
  account: string | null;
  outcome: string | null;
  error: string | null;
  latencyMs: number | null;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function providerLabel(c: {
  providerName?: unknown;
  name?: unknown;
  providerId?: unknown;
  provider?: unknown;
}): string {
  const nested =
    typeof c.provider === 'object' && c.provider !== null ? (c.provider as Record<string, unknown>) : null;
  return (
    str(c.providerName) ??
    str(c.name) ??
    str(nested?.name) ??
    str(c.provider) ??
    str(c.providerId) ??
    str(nested?.id) ??
    'Unknown provider'
  );
}

function accountLabel(c: { accountName?: unknown; accountId?: unknown; account?: unknown }): string | null {
  const nested =
    typeof c.account === 'object' && c.account !== null ? (c.account as Record<string, unknown>) : null;
  return (
    str(c.accountName) ??
    str(nested?.accountName) ??
    str(nested?.name) ??
    str(c.account) ??
    str(c.accountId) ??
    null
  );
}

function decisionOf(c: RoutingCandidate): CandidateRow['decision'] {
  if (c.chosen === true || c.selected === true) return 'chosen';
  const word = (str(c.decision) ?? str(c.status) ?? '').toLowerCase();
  if (['chosen', 'selected', 'picked', 'winner'].includes(word)) return 'chosen';
  if (['dropped', 'rejected', 'excluded', 'filtered', 'skipped', 'ineligible'].includes(word))
    return 'dropped';
  if (['kept', 'eligible', 'candidate', 'considered'].includes(word)) return 'kept';
  if (c.kept === true) return 'kept';
  if (c.kept === false) return 'dropped';
  if (str(c.dropReason)) return 'dropped';
  return 'unknown';
}

function factorsOf(c: RoutingCandidate): Array<[string, number]> {
  const source = c.scores ?? c.factors ?? c.breakdown;
  if (!source || typeof source !== 'object') return [];
  return Object.entries(source).filter((e): e is [string, number] => typeof e[1] === 'number');
}

export function candidateRows(decision: RoutingInput | null | undefined): CandidateRow[] {
  const list = decision?.candidates;
  if (!Array.isArray(list)) return [];
  return list
    .filter((c): c is RoutingCandidate => typeof c === 'object' && c !== null)
    .map((c, i) => {
      const reasons = Array.isArray(c.reasons) ? c.reasons.filter((r: unknown) => typeof r === 'string') : [];
      return {
        id: `candidate-${i}`,
        provider: providerLabel(c as Record<string, unknown>),
        account: accountLabel(c as Record<string, unknown>),
        decision: decisionOf(c),
        reason: str(c.reason) ?? str(c.dropReason) ?? (reasons.length ? reasons.join('; ') : null),
        score: num(c.score),
        factors: factorsOf(c),
      };
    });
}

export function chainRows(decision: RoutingInput | null | undefined): ChainRow[] {
  const list = decision?.chain;
  if (!Array.isArray(list)) return [];
  return list.map((step, i) => {
    const id = `step-${i}`;
    if (typeof step === 'string')
      return { id, provider: step, account: null, outcome: null, error: null, latencyMs: null };
    const s = step as RoutingChainStep;
    return {
      id,
      provider: providerLabel(s as Record<string, unknown>),
      account: accountLabel(s as Record<string, unknown>),
      outcome: str(s.outcome) ?? str(s.status),
      error: str(s.error) ?? str(s.errorMessage),
      latencyMs: num(s.latencyMs),
    };
  });
}

/** Top-level fields not covered by the two tables, for a small "other details" list. */
export function otherRoutingFields(decision: RoutingInput | null | undefined): Array<[string, unknown]> {
  if (!decision || typeof decision !== 'object') return [];
  const skip = new Set(['candidates', 'chain', 'taskId']);
  return Object.entries(decision).filter(([k, v]) => !skip.has(k) && v !== undefined && v !== null);
}
