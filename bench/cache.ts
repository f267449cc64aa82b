/**
 * `npm run bench:cache`: what the in-process caches (src/models/cacheBus.ts) save on the two lookups
 * made most often, each measured with and without the cache in the same run, in alternating rounds:
 *
 *   (a) auth lookup   AuthService.authenticate() for a JWT access token (user + session) and for a
 *                     personal API token (token by hash + user): what every authenticated request does
 *   (b) decision      the worker's routing decision: snapshot (providers, accounts, budgets, circuits)
 *                     + planRoute(), with 3 providers × 2 accounts. Budgets and circuits are read
 *                     fresh either way; the cache holds only the provider directory.
 *
 * BENCH_ITERATIONS (default 2000) calls per variant and round, 3 rounds. Figures only.
 * DATABASE_URL points it at a server; otherwise an embedded PostgreSQL runs in a temporary directory.
 */
import { ROUTING_SETTINGS } from '../config/routingWeights.js';
import { AuthService } from '../src/core/auth/authService.js';
import { AccessTokens } from '../src/core/auth/jwt.js';
import type { RoutingStore } from '../src/core/routing/ports.js';
import { planRoute } from '../src/core/routing/router.js';
import { createLogger } from '../src/logger.js';
import { createAuditStore } from '../src/models/auditStore.js';
import { cachedAuthStore } from '../src/models/authCache.js';
import { createAuthStore } from '../src/models/authStore.js';
import { CacheBus } from '../src/models/cacheBus.js';
import { createDb, createPool, runMigrations } from '../src/models/db.js';
import { createProviderDirectory } from '../src/models/providerDirectory.js';
import { createRoutingStore } from '../src/models/routingStore.js';
import { aiProviders, providerAccounts } from '../src/models/schema.js';
import { createSettingsStore } from '../src/models/settingsStore.js';
import { fmt, createDatabase as scratchDatabase, startBenchServer, summarize, time } from './lib.js';

const N = Number(process.env.BENCH_ITERATIONS ?? 2000);
const ROUNDS = 3;
const logger = createLogger({ level: 'error' });

/** Runs each variant N times per round, alternating, after a warm-up; returns the samples per variant. */
async function compare(variants: Record<string, () => Promise<unknown>>): Promise<Record<string, number[]>> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (const fn of Object.values(variants)) await time(200, fn);
  for (let r = 0; r < ROUNDS; r++)
    for (const [k, fn] of Object.entries(variants)) samples[k]!.push(...(await time(N, fn)));
  return samples;
}

function report(title: string, samples: Record<string, number[]>, pairs: Array<[string, string]>) {
  console.log(`\n${title}`);
  const s = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summarize(v)]));
  for (const [k, v] of Object.entries(s))
    console.log(`  ${k.padEnd(34)} p50 ${fmt(v.p50, 3).padStart(7)}   p99 ${fmt(v.p99, 3).padStart(7)}   ms`);
  for (const [baseline, cached] of pairs) {
    const b = s[baseline]!;
    const c = s[cached]!;
    console.log(
      `  ratio ${cached} / ${baseline}: p50 ${fmt(c.p50 / b.p50, 3)}×, p99 ${fmt(c.p99 / b.p99, 2)}× (${fmt(b.p50 / c.p50, 1)}× faster at p50)`,
    );
  }
}

const postgres = await startBenchServer(logger);
const adminUrl = postgres.adminUrl;
const database = await scratchDatabase(adminUrl, 'bench_cache');
const pool = createPool(database.url, logger);
const bus = new CacheBus({ databaseUrl: database.url, logger });
try {
  await runMigrations(pool);
  const db = createDb(pool);
  await bus.start();
  console.log(`bench:cache — ${N} calls × ${ROUNDS} rounds per variant, sequential, ${postgres.label}`);

  // (a) auth lookups
  const settings = createSettingsStore(db);
  const audit = createAuditStore(db, logger);
  const tokens = new AccessTokens('bench-jwt-secret-that-is-long-enough-0123456789', 900);
  const opts = { refreshTtlDays: 30 };
  const plain = new AuthService(createAuthStore(db), tokens, audit, settings, opts);
  const cached = new AuthService(cachedAuthStore(createAuthStore(db), bus), tokens, audit, settings, opts);
  const session = await plain.register(
    { username: 'bench', email: 'bench@example.com', password: 'bench-password-1' },
    {},
  );
  const principal = await plain.authenticate(session.accessToken);
  const pat = (await plain.createApiToken(principal, { name: 'bench' }, {})).token;
  report(
    '(a) auth lookup per request: AuthService.authenticate()',
    await compare({
      'JWT session, uncached': () => plain.authenticate(session.accessToken),
      'JWT session, cached': () => cached.authenticate(session.accessToken),
      'API token, uncached': () => plain.authenticate(pat),
      'API token, cached': () => cached.authenticate(pat),
    }),
    [
      ['JWT session, uncached', 'JWT session, cached'],
      ['API token, uncached', 'API token, cached'],
    ],
  );

  // (b) routing decision
  for (const [i, competency] of [0.9, 0.7, 0.5].entries()) {
    const [p] = await db
      .insert(aiProviders)
      .values({ name: `Stub ${i}`, kind: 'openai', competencies: { article: competency }, models: ['gpt'] })
      .returning();
    await db.insert(providerAccounts).values([
      { providerId: p!.id, accountName: 'main', tokenLimit: 1_000_000_000 },
      { providerId: p!.id, accountName: 'spare', tokenLimit: 1_000_000_000 },
    ]);
  }
  const open = () => ({});
  const uncachedStore = createRoutingStore(db, { open, statsWindowSeconds: 300 });
  const cachedStore = createRoutingStore(db, {
    open,
    statsWindowSeconds: 300,
    directory: createProviderDirectory(db, bus),
  });
  const req = {
    taskType: 'article',
    priority: 'normal' as const,
    pinnedProviderId: null,
    inputTokens: 120,
    maxOutputTokens: 1500,
  };
  const decide = (store: RoutingStore) => async () => {
    const plan = planRoute(req, await store.snapshot(), ROUTING_SETTINGS, { now: new Date() });
    if (plan.chain.length === 0) throw new Error('no route');
  };
  const decisions = await compare({
    'snapshot + plan, uncached': decide(uncachedStore),
    'snapshot + plan, cached directory': decide(cachedStore),
  });
  report('(b) routing decision (3 providers × 2 accounts; budgets and circuits read fresh)', decisions, [
    ['snapshot + plan, uncached', 'snapshot + plan, cached directory'],
  ]);
  console.log(`  aim: routing decision ≤ 0.5 ms p50`);
  console.log(`\ncache counters: ${JSON.stringify(bus.stats())}`);
} finally {
  await bus.stop();
  await pool.end();
  await database.drop();
  await postgres.stop();
}
