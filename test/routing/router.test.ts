import { describe, expect, it } from 'vitest';
import { ROUTING_SETTINGS } from '../../config/routingWeights.js';
import { circuitGate, circuitSettingsFor } from '../../src/core/routing/circuit.js';
import { estimateFor, planRoute, weightedMean } from '../../src/core/routing/router.js';
import type { RouteRequest, RoutingProvider, RoutingSettings } from '../../src/core/routing/types.js';

const NOW = new Date('2026-03-10T12:00:00Z');
const settings: RoutingSettings = {
  ...ROUTING_SETTINGS,
  inputSafetyFactor: { openai: 1, anthropic: 1, mock: 1, xai: 1 },
};

let n = 0;
function provider(over: Partial<RoutingProvider> & { name: string }): RoutingProvider {
  n++;
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    kind: 'openai',
    tier: 'primary',
    status: 'active',
    competencies: { article: 0.8, summary: 0.8 },
    costPer1kInput: 0,
    costPer1kOutput: 0,
    timeoutMs: 60_000,
    accounts: [
      {
        id: `acct-${over.name}`,
        name: 'main',
        status: 'active',
        tokenLimit: 100_000,
        tokenUsed: 0,
        tokenReserved: 0,
      },
    ],
    health: { circuit: 'closed', consecutiveFailures: 0, openedAt: null, changedAt: null },
    stats: { inFlight: 0, p50LatencyMs: null, errorRate: null, samples: 0 },
    ...over,
  };
}

function request(over: Partial<RouteRequest> = {}): RouteRequest {
  return {
    taskType: 'article',
    priority: 'normal',
    pinnedProviderId: null,
    inputTokens: 100,
    maxOutputTokens: 900,
    ...over,
  };
}

const plan = (providers: RoutingProvider[], req: Partial<RouteRequest> = {}, s: RoutingSettings = settings) =>
  planRoute(request(req), providers, s, { now: NOW, supports: (k) => k !== 'manus' });
const names = (p: ReturnType<typeof plan>) => p.chain.map((c) => c.name);
const dropped = (p: ReturnType<typeof plan>, name: string) =>
  p.candidates.find((c) => c.name === name && !c.kept);

describe('router: filters', () => {
  it('drops a disabled provider', () => {
    const p = plan([provider({ name: 'A', status: 'disabled' }), provider({ name: 'B' })]);
    expect(names(p)).toEqual(['B']);
    expect(dropped(p, 'A')).toMatchObject({ reason: 'disabled' });
  });

  it('drops a kind without a registered connector', () => {
    const p = plan([provider({ name: 'M', kind: 'manus' }), provider({ name: 'B' })]);
    expect(names(p)).toEqual(['B']);
    expect(dropped(p, 'M')).toMatchObject({ reason: 'no_connector' });
  });

  it('keeps only providers with a competency for the task type at or above the minimum', () => {
    const p = plan([
      provider({ name: 'none', competencies: { summary: 0.9 } }),
      provider({ name: 'zero', competencies: { article: 0 } }),
      provider({ name: 'weak', competencies: { article: 0.01 } }),
      provider({ name: 'good', competencies: { article: 0.7 } }),
    ]);
    expect(names(p)).toEqual(['good']);
    for (const name of ['none', 'zero', 'weak'])
      expect(dropped(p, name)).toMatchObject({ reason: 'no_competency' });
    expect(dropped(p, 'weak')!.note).toMatch(/below the minimum/);
  });

  it('keeps only accounts with room for input + output cap (used + reserved + estimate ≤ limit)', () => {
    const est = estimateFor('openai', request(), settings);
    expect(est).toBe(1000);
    const p = plan([
      provider({
        name: 'tight',
        accounts: [
          {
            id: 'full',
            name: 'full',
            status: 'active',
            tokenLimit: 10_000,
            tokenUsed: 9_001,
            tokenReserved: 0,
          },
          {
            id: 'held',
            name: 'held',
            status: 'active',
            tokenLimit: 10_000,
            tokenUsed: 8_000,
            tokenReserved: 1_500,
          },
          {
            id: 'exact',
            name: 'exact',
            status: 'active',
            tokenLimit: 10_000,
            tokenUsed: 8_000,
            tokenReserved: 1_000,
          },
          { id: 'off', name: 'off', status: 'disabled', tokenLimit: 1e9, tokenUsed: 0, tokenReserved: 0 },
        ],
      }),
    ]);
    expect(p.chain[0]!.accounts.map((a) => a.id)).toEqual(['exact']);
    expect(p.chain[0]!.accounts[0]!.remainingAfter).toBe(0);
  });

  it('drops a provider whose accounts lack budget, and says whether settling reservations would free room', () => {
    const p = plan([
      provider({
        name: 'spent',
        accounts: [
          { id: 'a', name: 'a', status: 'active', tokenLimit: 1000, tokenUsed: 500, tokenReserved: 0 },
        ],
      }),
      provider({
        name: 'held',
        accounts: [
          { id: 'b', name: 'b', status: 'active', tokenLimit: 2000, tokenUsed: 0, tokenReserved: 1500 },
        ],
      }),
      provider({ name: 'none', accounts: [] }),
    ]);
    expect(p.chain).toEqual([]);
    expect(dropped(p, 'spent')).toMatchObject({ reason: 'no_budget', budgetHeldByReservations: false });
    expect(dropped(p, 'held')).toMatchObject({ reason: 'no_budget', budgetHeldByReservations: true });
    expect(dropped(p, 'none')).toMatchObject({ reason: 'no_account' });
  });

  it('pads the input estimate by the kind’s safety factor', () => {
    const s: RoutingSettings = { ...settings, inputSafetyFactor: { anthropic: 1.5 } };
    expect(estimateFor('anthropic', request({ inputTokens: 100, maxOutputTokens: 50 }), s)).toBe(200);
    expect(estimateFor('xai', request({ inputTokens: 100, maxOutputTokens: 50 }), s)).toBe(180); // default 1.3
  });
});

describe('router: tiers and scores', () => {
  it('tries secondary providers only after every qualifying primary', () => {
    const p = plan([
      provider({ name: 'S', tier: 'secondary', competencies: { article: 1 } }),
      provider({ name: 'P1', competencies: { article: 0.6 } }),
      provider({ name: 'P2', competencies: { article: 0.7 } }),
    ]);
    expect(names(p)).toEqual(['P2', 'P1', 'S']);
    expect(p.tier).toBe('primary');
    expect(p.chain[2]!.note).toMatch(/secondary tier/);
  });

  it('uses a secondary provider when no primary qualifies', () => {
    const p = plan([
      provider({ name: 'P', competencies: { summary: 1 } }),
      provider({ name: 'S', tier: 'secondary' }),
    ]);
    expect(names(p)).toEqual(['S']);
    expect(p.tier).toBe('secondary');
  });

  it('priority shifts the weights: urgent picks quality and speed, low picks cheap and plentiful', () => {
    const fastGood = provider({
      name: 'fast-good',
      competencies: { article: 0.95 },
      costPer1kInput: 0.01,
      costPer1kOutput: 0.03,
      stats: { inFlight: 0, p50LatencyMs: 300, errorRate: 0, samples: 50 },
      accounts: [
        { id: 'fg', name: 'fg', status: 'active', tokenLimit: 20_000, tokenUsed: 15_000, tokenReserved: 0 },
      ],
    });
    const cheap = provider({
      name: 'cheap',
      competencies: { article: 0.6 },
      costPer1kInput: 0,
      costPer1kOutput: 0,
      stats: { inFlight: 0, p50LatencyMs: 6000, errorRate: 0, samples: 50 },
      accounts: [
        { id: 'ch', name: 'ch', status: 'active', tokenLimit: 10_000_000, tokenUsed: 0, tokenReserved: 0 },
      ],
    });
    expect(names(plan([fastGood, cheap], { priority: 'urgent' }))[0]).toBe('fast-good');
    expect(names(plan([fastGood, cheap], { priority: 'low' }))[0]).toBe('cheap');
    const urgent = plan([fastGood, cheap], { priority: 'urgent' });
    expect(urgent.weights).toEqual(settings.weights.urgent);
    expect(urgent.chain[0]!.terms).toBeDefined();
  });

  it('prefers the less loaded and more reliable provider when all else is equal', () => {
    const busy = provider({
      name: 'busy',
      stats: { inFlight: 9, p50LatencyMs: 1000, errorRate: 0, samples: 20 },
    });
    const idle = provider({
      name: 'idle',
      stats: { inFlight: 0, p50LatencyMs: 1000, errorRate: 0, samples: 20 },
    });
    expect(names(plan([busy, idle]))).toEqual(['idle', 'busy']);
    const flaky = provider({
      name: 'flaky',
      stats: { inFlight: 0, p50LatencyMs: 1000, errorRate: 0.4, samples: 20 },
    });
    const solid = provider({
      name: 'solid',
      stats: { inFlight: 0, p50LatencyMs: 1000, errorRate: 0, samples: 20 },
    });
    expect(names(plan([flaky, solid]))).toEqual(['solid', 'flaky']);
  });

  it('weightedMean is the weighted average of the terms', () => {
    const terms = { competency: 1, budget: 0, load: 1, latency: 0, reliability: 1, cost: 0 };
    expect(
      weightedMean(terms, { competency: 1, budget: 1, load: 0, latency: 0, reliability: 0, cost: 0 }),
    ).toBe(0.5);
  });
});

describe('router: pinned provider', () => {
  it('puts a pinned provider first when it can serve, even if it scores lower', () => {
    const a = provider({ name: 'A', competencies: { article: 0.9 } });
    const b = provider({ name: 'B', competencies: { article: 0.3 } });
    const p = plan([a, b], { pinnedProviderId: b.id });
    expect(names(p)).toEqual(['B', 'A']);
    expect(p.pinned).toMatchObject({ providerId: b.id, honoured: true });
  });

  it('a pinned provider skips the competency rule (the caller chose it)', () => {
    const a = provider({ name: 'A' });
    const b = provider({ name: 'B', competencies: {} });
    expect(names(plan([a, b], { pinnedProviderId: b.id }))).toEqual(['B', 'A']);
  });

  it('falls back to the others with the reason recorded when the pinned one cannot serve (prefer)', () => {
    const a = provider({ name: 'A' });
    const b = provider({ name: 'B', status: 'disabled' });
    const p = plan([a, b], { pinnedProviderId: b.id });
    expect(names(p)).toEqual(['A']);
    expect(p.pinned).toMatchObject({ honoured: false, policy: 'prefer' });
    expect(p.pinned!.reason).toMatch(/disabled.*falling back/);
  });

  it('strict: only the pinned provider, and nothing when it cannot serve', () => {
    const strict: RoutingSettings = { ...settings, pinnedPolicy: 'strict' };
    const a = provider({ name: 'A' });
    const b = provider({ name: 'B' });
    expect(names(plan([a, b], { pinnedProviderId: b.id }, strict))).toEqual(['B']);
    expect(dropped(plan([a, b], { pinnedProviderId: b.id }, strict), 'A')).toMatchObject({
      reason: 'not_pinned',
    });
    const off = provider({ name: 'C', status: 'disabled' });
    const p = plan([a, off], { pinnedProviderId: off.id }, strict);
    expect(p.chain).toEqual([]);
    expect(p.pinned).toMatchObject({ honoured: false, policy: 'strict' });
  });
});

describe('router: circuit breaker', () => {
  const opened = (secondsAgo: number) => new Date(NOW.getTime() - secondsAgo * 1000);

  it('skips a provider whose circuit is open and still cooling down', () => {
    const p = plan([
      provider({
        name: 'A',
        health: { circuit: 'open', consecutiveFailures: 5, openedAt: opened(5), changedAt: opened(5) },
      }),
      provider({ name: 'B' }),
    ]);
    expect(names(p)).toEqual(['B']);
    expect(dropped(p, 'A')).toMatchObject({ reason: 'circuit_open', circuit: 'open' });
    expect(dropped(p, 'A')!.note).toMatch(/probe in 25 s/);
  });

  it('lets one probe through once the cool-down has passed (half-open)', () => {
    const p = plan([
      provider({
        name: 'A',
        health: { circuit: 'open', consecutiveFailures: 5, openedAt: opened(31), changedAt: opened(31) },
      }),
    ]);
    expect(names(p)).toEqual(['A']);
    expect(p.chain[0]!.probe).toBe(true);
  });

  it('skips a half-open provider while another worker probes it, unless that probe is stale', () => {
    const probing = provider({
      name: 'A',
      health: { circuit: 'half_open', consecutiveFailures: 5, openedAt: opened(40), changedAt: opened(2) },
    });
    expect(dropped(plan([probing]), 'A')).toMatchObject({ reason: 'probe_in_flight' });
    const stale = provider({
      name: 'A',
      health: { circuit: 'half_open', consecutiveFailures: 5, openedAt: opened(400), changedAt: opened(200) },
    });
    expect(plan([stale]).chain[0]!.probe).toBe(true);
  });

  it('honours per-provider cool-down overrides', () => {
    const p = plan([
      provider({
        name: 'A',
        circuit: { cooldownSeconds: 1 },
        health: { circuit: 'open', consecutiveFailures: 5, openedAt: opened(2), changedAt: opened(2) },
      }),
    ]);
    expect(p.chain[0]!.probe).toBe(true);
    expect(circuitSettingsFor(settings.circuit, { cooldownSeconds: -5, failureThreshold: 2 })).toMatchObject({
      cooldownSeconds: settings.circuit.cooldownSeconds,
      failureThreshold: 2,
    });
  });

  it('circuitGate: closed passes', () => {
    expect(
      circuitGate(
        { circuit: 'closed', consecutiveFailures: 2, openedAt: null, changedAt: null },
        NOW,
        { cooldownSeconds: 30 },
        1000,
      ),
    ).toBe('pass');
  });
});

describe('router: the recorded plan', () => {
  it('lists every candidate once, kept ones ranked first with their terms and score', () => {
    const p = plan([
      provider({ name: 'A', status: 'disabled' }),
      provider({ name: 'B' }),
      provider({ name: 'C', competencies: { article: 0.5 } }),
    ]);
    expect(p.candidates.map((c) => [c.name, c.kept, c.rank ?? null])).toEqual([
      ['B', true, 1],
      ['C', true, 2],
      ['A', false, null],
    ]);
    expect(p.candidates[0]).toMatchObject({
      estimatedTokens: 1000,
      score: expect.any(Number),
      terms: expect.any(Object),
    });
  });
});

describe('deadline-aware routing', () => {
  const fast = () =>
    provider({
      name: 'fast-but-weaker',
      competencies: { article: 0.5 },
      stats: { inFlight: 0, p50LatencyMs: 20_000, p95LatencyMs: 60_000, errorRate: 0, samples: 50 },
    });
  const slow = () =>
    provider({
      name: 'slow-but-better',
      competencies: { article: 0.95 },
      stats: { inFlight: 0, p50LatencyMs: 200_000, p95LatencyMs: 20 * 60_000, errorRate: 0, samples: 50 },
    });
  const req: RouteRequest = {
    taskType: 'article',
    priority: 'normal',
    pinnedProviderId: null,
    inputTokens: 100,
    maxOutputTokens: 500,
  };
  const opts = { now: NOW, supports: () => true };

  it('without a deadline the better provider goes first', () => {
    const plan = planRoute(req, [fast(), slow()], settings, opts);
    expect(plan.chain.map((c) => c.name)).toEqual(['slow-but-better', 'fast-but-weaker']);
    expect(plan.chain.every((c) => c.deadline === undefined)).toBe(true);
  });

  it('with 15 minutes left (Discord), a provider whose p95 exceeds it is tried after one that fits, and the decision says so', () => {
    const plan = planRoute(
      { ...req, timeLeftMs: 15 * 60_000, source: 'discord' },
      [fast(), slow()],
      settings,
      opts,
    );
    expect(plan.chain.map((c) => c.name)).toEqual(['fast-but-weaker', 'slow-but-better']);
    const late = plan.chain[1]!;
    expect(late.deadline).toEqual({
      leftMs: 15 * 60_000,
      fits: false,
      predictedMs: 20 * 60_000,
      basis: 'p95_latency',
    });
    expect(late.note).toMatch(/p95 latency 1200 s exceeds the 900 s left of the discord time budget/);
    expect(plan.chain[0]!.deadline).toEqual({
      leftMs: 15 * 60_000,
      fits: true,
      predictedMs: 60_000,
      basis: 'p95_latency',
    });
  });

  it('a provider without latency samples is assumed to fit', () => {
    const unknown = provider({ name: 'new', competencies: { article: 0.99 } });
    const plan = planRoute(
      { ...req, timeLeftMs: 60_000, source: 'portal' },
      [slow(), unknown],
      settings,
      opts,
    );
    expect(plan.chain.map((c) => c.name)).toEqual(['new', 'slow-but-better']);
  });

  it('source budgets: Slack 30 min, Discord 15, portal soon (2 min), webhooks and API none', async () => {
    const { timeLeftMs } = await import('../../src/core/routing/deadlines.js');
    const created = new Date(NOW.getTime() - 60_000);
    expect(timeLeftMs({ source: 'slack', createdAt: created }, NOW)).toBe(29 * 60_000);
    expect(timeLeftMs({ source: 'discord', createdAt: created }, NOW)).toBe(14 * 60_000);
    expect(timeLeftMs({ source: 'portal', createdAt: created }, NOW)).toBe(60_000);
    expect(timeLeftMs({ source: 'webhook', createdAt: created }, NOW)).toBeNull();
    expect(timeLeftMs({ source: 'api', createdAt: created }, NOW)).toBeNull();
  });
});
