import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTING_SETTINGS } from '../../config/routingWeights.js';
import { predictFinish } from '../../src/core/routing/deadlines.js';
import { planRoute } from '../../src/core/routing/router.js';
import type { RouteRequest, RoutingProvider, RoutingStats } from '../../src/core/routing/types.js';
import { createLogger } from '../../src/logger.js';
import { type BudgetStore, createBudgetStore } from '../../src/models/budgetStore.js';
import { createDb, createPool, type Db } from '../../src/models/db.js';
import { providerStats } from '../../src/models/routingStore.js';
import { createTestDatabase } from '../helpers/db.js';

/**
 * Deadline-aware routing from a latency estimate per provider: the p95 time to first token and the
 * output rate of recent successful attempts predict when a call would finish (p95 TTFT + output
 * tokens ÷ tokens/s); candidates that fit the source's time budget go first, and the decision's
 * note says what was predicted.
 */

const NOW = new Date('2026-03-10T12:00:00Z');
const settings = { ...ROUTING_SETTINGS, inputSafetyFactor: { openai: 1, anthropic: 1, mock: 1, xai: 1 } };
let n = 0;
function provider(name: string, competency: number, stats: Partial<RoutingStats>): RoutingProvider {
  n++;
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    name,
    kind: 'openai',
    tier: 'primary',
    status: 'active',
    competencies: { article: competency },
    costPer1kInput: 0,
    costPer1kOutput: 0,
    timeoutMs: 600_000,
    accounts: [
      { id: `acct-${name}`, name: 'main', status: 'active', tokenLimit: 1e6, tokenUsed: 0, tokenReserved: 0 },
    ],
    health: { circuit: 'closed', consecutiveFailures: 0, openedAt: null, changedAt: null },
    stats: { inFlight: 0, p50LatencyMs: 1000, errorRate: 0, samples: 50, ...stats },
  };
}
const req: RouteRequest = {
  taskType: 'article',
  priority: 'normal',
  pinnedProviderId: null,
  inputTokens: 100,
  maxOutputTokens: 900,
};

describe('finish prediction', () => {
  it('is p95 time to first token + output tokens at the provider’s rate', () => {
    expect(predictFinish({ p95TtftMs: 2000, tokensPerSecond: 10 }, 900)).toMatchObject({
      ms: 92_000,
      basis: 'ttft_and_rate',
      text: 'predicted finish 92 s (p95 time to first token 2.0 s + 900 output tokens at 10 tokens/s)',
    });
  });
  it('falls back to the p95 total latency, then to nothing known', () => {
    expect(predictFinish({ p95LatencyMs: 45_000, p95TtftMs: 800 }, 900)).toMatchObject({
      ms: 45_000,
      basis: 'p95_latency',
    });
    expect(predictFinish({}, 900)).toMatchObject({ ms: null, basis: 'no_samples' });
  });
});

describe('deadline-aware routing with the latency estimate', () => {
  // The better provider starts slowly and streams at 10 tokens/s: 900 tokens take ~92 s. Its p95
  // total latency (30 s, from shorter answers) alone would have said it fits in 60 s.
  const slowStream = () =>
    provider('better-but-slow', 0.95, { p95LatencyMs: 30_000, p95TtftMs: 2000, tokensPerSecond: 10 });
  const quick = () => provider('quick', 0.6, { p95LatencyMs: 10_000, p95TtftMs: 500, tokensPerSecond: 50 });

  it('without a deadline the better provider goes first and nothing is predicted', () => {
    const plan = planRoute(req, [quick(), slowStream()], settings, { now: NOW, supports: () => true });
    expect(plan.chain.map((c) => c.name)).toEqual(['better-but-slow', 'quick']);
    expect(plan.chain.every((c) => c.deadline === undefined)).toBe(true);
  });

  it('prefers the candidate predicted to finish in time, and the note says the predicted time', () => {
    const plan = planRoute(
      { ...req, timeLeftMs: 60_000, source: 'portal' },
      [slowStream(), quick()],
      settings,
      {
        now: NOW,
        supports: () => true,
      },
    );
    expect(plan.chain.map((c) => c.name)).toEqual(['quick', 'better-but-slow']);
    const [first, late] = plan.chain;
    expect(first!.deadline).toEqual({
      leftMs: 60_000,
      fits: true,
      predictedMs: 18_500,
      basis: 'ttft_and_rate',
    });
    expect(first!.note).toContain(
      'predicted finish 19 s (p95 time to first token 0.5 s + 900 output tokens at 50 tokens/s) fits in the 60 s left of the portal time budget',
    );
    expect(late!.deadline).toEqual({
      leftMs: 60_000,
      fits: false,
      predictedMs: 92_000,
      basis: 'ttft_and_rate',
    });
    expect(late!.note).toContain(
      'predicted finish 92 s (p95 time to first token 2.0 s + 900 output tokens at 10 tokens/s) exceeds the 60 s left of the portal time budget: tried after candidates that can finish in time',
    );
  });

  it('with more time left (Slack, 30 minutes) both fit and the better one stays first', () => {
    const plan = planRoute(
      { ...req, timeLeftMs: 29 * 60_000, source: 'slack' },
      [quick(), slowStream()],
      settings,
      { now: NOW, supports: () => true },
    );
    expect(plan.chain.map((c) => c.name)).toEqual(['better-but-slow', 'quick']);
    expect(plan.chain.every((c) => c.deadline?.fits)).toBe(true);
    expect(plan.chain[0]!.note).toMatch(
      /predicted finish 92 s .* fits in the 1740 s left of the slack time budget/,
    );
  });
});

describe('the estimate from recorded attempts (PostgreSQL)', () => {
  let pool: pg.Pool;
  let db: Db;
  let budgets: BudgetStore;
  let userId: string;

  beforeAll(async () => {
    pool = createPool(await createTestDatabase(), createLogger({ level: 'silent' }), 5);
    db = createDb(pool);
    budgets = createBudgetStore(db);
    const u = await pool.query(`INSERT INTO users (username) VALUES ('lat') RETURNING id`);
    userId = u.rows[0].id;
  });
  afterAll(() => pool.end());

  it('keeps per provider the p95 time to first token and the slow-end output rate of recent successes', async () => {
    const p = await pool.query(`INSERT INTO ai_providers (name, kind) VALUES ('lat-p', 'mock') RETURNING id`);
    const providerId = p.rows[0].id as string;
    const a = await pool.query(
      `INSERT INTO provider_accounts (provider_id, account_name, token_limit) VALUES ($1, 'main', 1000000) RETURNING id`,
      [providerId],
    );
    const accountId = a.rows[0].id as string;
    // 20 successes: TTFT 100…2000 ms; 200 output tokens over (latency − TTFT) = 2…21 s → 100…9.5 tokens/s.
    for (let i = 1; i <= 20; i++) {
      const t = await pool.query(
        `INSERT INTO tasks (user_id, title, description, task_type, status) VALUES ($1, 't', 'd', 'article', 'running') RETURNING id`,
        [userId],
      );
      const id = await budgets.reserveAndStart({
        taskId: t.rows[0].id,
        providerId,
        providerName: 'lat-p',
        accountId,
        attempt: 1,
        model: 'm',
        tokens: 1000,
      });
      const ttftMs = i * 100;
      await budgets.settle(id!, {
        status: 'succeeded',
        tokensInput: 50,
        tokensOutput: 200,
        tokensUsed: 250,
        ttftMs,
        latencyMs: ttftMs + (i + 1) * 1000,
      });
    }
    const stats = (await providerStats(db, 3600, providerId)).get(providerId)!;
    // percentile_cont over 100…2000 ms: 0.95 → 1905 ms.
    expect(stats.p95TtftMs).toBe(1905);
    // Rates 200/(i+1)/s for i = 1…20, i.e. 100 … 9.52 tokens/s; the 5th percentile is near the slow end.
    expect(stats.tokensPerSecond).toBeGreaterThan(9.5);
    expect(stats.tokensPerSecond).toBeLessThan(10.5);
    expect(stats.samples).toBe(20);
  });
});
