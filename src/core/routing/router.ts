import type { ProviderKind } from '../providers/connector.js';
import { circuitGate, circuitSettingsFor } from './circuit.js';
import { preferInTime } from './deadlines.js';
import type {
  AccountChoice,
  CandidateEvaluation,
  RoutePlan,
  RouteRequest,
  RoutingProvider,
  RoutingSettings,
  ScoreTerms,
  ScoreWeights,
} from './types.js';

/**
 * The routing decision, as a pure function of the task and a snapshot of the providers (no I/O, no
 * clock of its own), so every rule is unit-testable:
 *
 * 1. active providers with a connector for their kind;
 * 2. competency for the task type ≥ minCompetency (a pinned provider skips this rule: the caller
 *    chose it);
 * 3. circuit closed, or open past its cool-down (the call becomes the half-open probe);
 * 4. an active account with room for the estimate: used + reserved + estimate ≤ limit, where the
 *    estimate is the input (× the kind's safety factor) plus the output cap;
 * 5. primaries first: secondary-tier providers come after every primary, so they serve only when no
 *    primary qualifies (or every primary failed in this run);
 * 6. within a tier, by efficiency score: the priority's weights over competency, remaining budget,
 *    in-flight load, recent p50 latency, reliability and cost;
 * 7. a pinned provider that qualifies goes first (`prefer`), or is the only one (`strict`).
 *
 * The plan keeps every candidate with the reason it was kept or dropped: it is stored on the task
 * and served at GET /api/tasks/:id/routing.
 */
export interface PlanOptions {
  now: Date;
  /** Whether a connector is registered for the kind. */
  supports?: (kind: ProviderKind) => boolean;
  /** How long a half-open probe may run before another worker may take over (default: the provider's timeout + 60 s). */
  probeStaleMs?: (p: RoutingProvider) => number;
}

const DEFAULT_SAFETY_FACTOR = 1.3;

export function estimateFor(kind: ProviderKind, req: RouteRequest, settings: RoutingSettings): number {
  const factor = settings.inputSafetyFactor[kind] ?? DEFAULT_SAFETY_FACTOR;
  return Math.ceil(req.inputTokens * factor) + Math.max(0, Math.floor(req.maxOutputTokens));
}

export function planRoute(
  req: RouteRequest,
  providers: RoutingProvider[],
  settings: RoutingSettings,
  opts: PlanOptions,
): RoutePlan {
  const weights = settings.weights[req.priority] ?? settings.weights.normal;
  const pinnedProvider = req.pinnedProviderId
    ? providers.find((p) => p.id === req.pinnedProviderId)
    : undefined;
  const strict = Boolean(req.pinnedProviderId) && settings.pinnedPolicy === 'strict';

  const evaluations = providers.map((p) => evaluate(p, req, settings, opts, weights, strict));
  const kept = evaluations.filter((e) => e.kept);
  kept.sort(byScore);
  // A team's task tries providers where the team has an account first (stable: by score within).
  if (req.teamId)
    kept.sort((a, b) => Number(b.accounts[0]?.team ?? false) - Number(a.accounts[0]?.team ?? false));

  const pinnedEval = req.pinnedProviderId
    ? kept.find((e) => e.providerId === req.pinnedProviderId)
    : undefined;
  const inTime = (tier: string) =>
    preferInTime(
      kept.filter((e) => e.tier === tier && e !== pinnedEval),
      req.timeLeftMs,
      req.source ?? 'source',
      req.maxOutputTokens,
    );
  const primaries = inTime('primary');
  const secondaries = inTime('secondary');
  const chain = [...(pinnedEval ? [pinnedEval] : []), ...primaries, ...secondaries];
  chain.forEach((e, i) => {
    e.rank = i + 1;
  });
  if (primaries.length > 0 || (pinnedEval && pinnedEval.tier === 'primary')) {
    for (const e of secondaries) e.note = `${e.note}; secondary tier: tried only after every primary`;
  }

  let pinned: RoutePlan['pinned'] = null;
  if (req.pinnedProviderId) {
    const dropped = evaluations.find((e) => e.providerId === req.pinnedProviderId && !e.kept);
    pinned = {
      providerId: req.pinnedProviderId,
      policy: settings.pinnedPolicy,
      honoured: Boolean(pinnedEval),
      ...(pinnedEval
        ? {}
        : {
            reason: !pinnedProvider
              ? 'the pinned provider does not exist'
              : `the pinned provider cannot serve: ${dropped?.note ?? 'unknown'}${strict ? '' : '; falling back to the others'}`,
          }),
    };
  }

  const dropped = evaluations.filter((e) => !e.kept);
  return {
    taskType: req.taskType,
    priority: req.priority,
    weights,
    estimate: { inputTokens: req.inputTokens, maxOutputTokens: req.maxOutputTokens },
    pinned,
    candidates: [...chain, ...dropped],
    chain,
    tier: chain[0]?.tier ?? null,
  };
}

/** Why a candidate is dropped (with anything the plan shows alongside). */
type Drop = { reason: CandidateEvaluation['reason']; note: string; extra?: Partial<CandidateEvaluation> };

function evaluate(
  p: RoutingProvider,
  req: RouteRequest,
  settings: RoutingSettings,
  opts: PlanOptions,
  weights: ScoreWeights,
  strict: boolean,
): CandidateEvaluation {
  const isPinned = p.id === req.pinnedProviderId;
  const { base, estimatedCostUsd } = baseEvaluation(p, req, settings, isPinned);
  const drop = (d: Drop): CandidateEvaluation => ({
    ...base,
    ...(d.extra ?? {}),
    reason: d.reason,
    note: d.note,
  });

  const ineligible = eligibility(p, req, settings, opts, strict, isPinned, base.competency);
  if (ineligible) return drop(ineligible);
  const gate = circuitCheck(p, settings, opts);
  if (typeof gate !== 'string') return drop(gate);
  const accounts = accountsWithRoom(p, req, base.estimatedTokens);
  if ('reason' in accounts) return drop(accounts);

  const terms = scoreTerms(p, settings, base.competency, estimatedCostUsd, accounts);
  const score = weightedMean(terms, weights);
  const probe = gate === 'probe';
  return {
    ...base,
    kept: true,
    accounts: accounts.fits,
    probe,
    terms: roundTerms(terms),
    score: round(score, 4),
    note: `${isPinned ? 'pinned; ' : ''}score ${round(score, 3)}${probe ? '; circuit open past its cool-down: this call is the half-open probe' : ''}`,
  };
}

/** The candidate as the plan shows it before any rule: competency, estimate, cost, latency figures. */
function baseEvaluation(p: RoutingProvider, req: RouteRequest, settings: RoutingSettings, isPinned: boolean) {
  const competency = clamp01(Number(p.competencies?.[req.taskType] ?? 0) || 0);
  const estimatedTokens = estimateFor(p.kind, req, settings);
  const inputEstimate = estimatedTokens - Math.max(0, Math.floor(req.maxOutputTokens));
  const estimatedCostUsd =
    (inputEstimate / 1000) * (p.costPer1kInput || 0) +
    (req.maxOutputTokens / 1000) * (p.costPer1kOutput || 0);
  const base: CandidateEvaluation = {
    providerId: p.id,
    name: p.name,
    kind: p.kind,
    tier: p.tier,
    competency,
    circuit: p.health.circuit,
    kept: false,
    note: '',
    estimatedTokens,
    estimatedCostUsd: round(estimatedCostUsd, 6),
    accounts: [],
    probe: false,
    ...(isPinned ? { pinned: true } : {}),
    ...(p.stats.p95LatencyMs != null ? { p95LatencyMs: p.stats.p95LatencyMs } : {}),
    ...(p.stats.p95TtftMs != null ? { p95TtftMs: p.stats.p95TtftMs } : {}),
    ...(p.stats.tokensPerSecond != null ? { tokensPerSecond: p.stats.tokensPerSecond } : {}),
  };
  return { base, estimatedCostUsd };
}

/** Rules 1, 2 and strict pinning: active, a connector, the pin, competency. */
function eligibility(
  p: RoutingProvider,
  req: RouteRequest,
  settings: RoutingSettings,
  opts: PlanOptions,
  strict: boolean,
  isPinned: boolean,
  competency: number,
): Drop | undefined {
  if (p.status !== 'active') return { reason: 'disabled', note: 'provider is disabled' };
  if (opts.supports && !opts.supports(p.kind))
    return { reason: 'no_connector', note: `no connector is registered for kind "${p.kind}"` };
  if (strict && !isPinned) return { reason: 'not_pinned', note: 'another provider was pinned (strict)' };
  if (!isPinned && (competency <= 0 || competency < settings.minCompetency)) {
    return {
      reason: 'no_competency',
      note:
        competency <= 0
          ? `no competency for "${req.taskType}"`
          : `competency ${competency} is below the minimum ${settings.minCompetency}`,
    };
  }
  return undefined;
}

/** Rule 3: the circuit's gate (closed, or the half-open probe), or why it drops the candidate. */
function circuitCheck(
  p: RoutingProvider,
  settings: RoutingSettings,
  opts: PlanOptions,
): Drop | 'pass' | 'probe' {
  const circuit = circuitSettingsFor(settings.circuit, p.circuit);
  const staleMs = opts.probeStaleMs ? opts.probeStaleMs(p) : p.timeoutMs + 60_000;
  const gate = circuitGate(p.health, opts.now, circuit, staleMs);
  if (gate === 'open') {
    const left = p.health.openedAt
      ? Math.max(0, circuit.cooldownSeconds * 1000 - (opts.now.getTime() - p.health.openedAt.getTime()))
      : 0;
    return {
      reason: 'circuit_open',
      note: `circuit open after ${p.health.consecutiveFailures} failure(s); probe in ${Math.ceil(left / 1000)} s`,
    };
  }
  if (gate === 'probe_in_flight')
    return { reason: 'probe_in_flight', note: 'circuit half-open: another worker is probing it' };
  return gate;
}

type AccountsWithRoom = { active: RoutingProvider['accounts']; fits: AccountChoice[] };

/**
 * Rule 4: the active accounts with room for the estimate, the team's first, then by room left.
 * Another team's accounts are never used.
 */
function accountsWithRoom(
  p: RoutingProvider,
  req: RouteRequest,
  estimatedTokens: number,
): AccountsWithRoom | Drop {
  const team = req.teamId ?? null;
  const active = p.accounts.filter((a) => a.status === 'active' && (!a.teamId || a.teamId === team));
  if (active.length === 0) return { reason: 'no_account', note: 'no active account' };
  const fits: AccountChoice[] = active
    .filter((a) => a.tokenUsed + a.tokenReserved + estimatedTokens <= a.tokenLimit)
    .map((a) => ({
      id: a.id,
      name: a.name,
      remainingAfter: a.tokenLimit - a.tokenUsed - a.tokenReserved - estimatedTokens,
      limit: a.tokenLimit,
      ...(team && a.teamId === team ? { team: true } : {}),
    }))
    .sort(
      (x, y) =>
        Number(y.team ?? false) - Number(x.team ?? false) ||
        y.remainingAfter - x.remainingAfter ||
        x.name.localeCompare(y.name),
    )
    .map(({ limit: _limit, ...a }) => a);
  if (fits.length > 0) return { active, fits };
  const best = Math.max(...active.map((a) => a.tokenLimit - a.tokenUsed - a.tokenReserved));
  const later = active.some((a) => a.tokenUsed + estimatedTokens <= a.tokenLimit);
  return {
    reason: 'no_budget',
    note: `needs ${estimatedTokens} tokens; the best account has ${Math.max(0, best)} left${later ? ' (more once in-flight reservations settle)' : ''}`,
    extra: { budgetHeldByReservations: later },
  };
}

/** Rule 6's terms, each in [0, 1]: competency, budget left on the best account, load, latency, reliability, cost. */
function scoreTerms(
  p: RoutingProvider,
  settings: RoutingSettings,
  competency: number,
  estimatedCostUsd: number,
  { active, fits }: AccountsWithRoom,
): ScoreTerms {
  const best = fits[0]!;
  const bestAccount = active.find((a) => a.id === best.id)!;
  return {
    competency,
    budget: bestAccount.tokenLimit > 0 ? clamp01(best.remainingAfter / bestAccount.tokenLimit) : 0,
    load: 1 / (1 + Math.max(0, p.stats.inFlight)),
    latency:
      p.stats.p50LatencyMs === null
        ? 0.5
        : settings.latencyRefMs / (settings.latencyRefMs + Math.max(0, p.stats.p50LatencyMs)),
    reliability: 1 - clamp01(p.stats.errorRate ?? 0),
    cost: settings.costRefUsd / (settings.costRefUsd + Math.max(0, estimatedCostUsd)),
  };
}

export function weightedMean(terms: ScoreTerms, weights: ScoreWeights): number {
  let sum = 0;
  let total = 0;
  for (const k of Object.keys(weights) as (keyof ScoreWeights)[]) {
    const w = Math.max(0, weights[k] ?? 0);
    sum += w * terms[k];
    total += w;
  }
  return total > 0 ? sum / total : 0;
}

function byScore(a: CandidateEvaluation, b: CandidateEvaluation): number {
  return (
    (b.score ?? 0) - (a.score ?? 0) ||
    b.competency - a.competency ||
    a.name.localeCompare(b.name) ||
    a.providerId.localeCompare(b.providerId)
  );
}

const clamp01 = (n: number) => (Number.isFinite(n) ? Math.min(1, Math.max(0, n)) : 0);
const round = (n: number, d: number) => Math.round(n * 10 ** d) / 10 ** d;
const roundTerms = (t: ScoreTerms): ScoreTerms =>
  Object.fromEntries(Object.entries(t).map(([k, v]) => [k, round(v, 4)])) as unknown as ScoreTerms;
