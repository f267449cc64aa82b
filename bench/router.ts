/**
 * `npm run bench:router`: what the router and the hub add to a provider call. Figures only; nothing
 * here passes or fails.
 *
 *   (a) claim → first byte   a worker claiming the job (pg-boss started_on) → the connector about to
 *                            send the request's first byte (onRequestStart): markRunning, orphan
 *                            release, snapshot, plan, reservation + attempt row + decision saved
 *   (b) hub vs direct        wall time per task through the whole hub (POST /api/tasks → task
 *                            completed, content stored) against a stub OpenAI-format server answering
 *                            at once, beside the same SDK calling that stub directly in the same run
 *   (c) decision             the routing decision alone inside the worker (release + snapshot + plan;
 *                            it is stored with the reservation), and the pure planRoute() function
 *
 * BENCH_TASKS (default 300) sequential tasks, then BENCH_TASKS concurrent at BENCH_CONCURRENCY (16).
 * DATABASE_URL points it at a server; otherwise an embedded PostgreSQL runs in a temporary directory.
 */
import { mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import pg from 'pg';
import { ROUTING_SETTINGS } from '../config/routingWeights.js';
import { startSwitchyard } from '../src/compose.js';
import { planRoute } from '../src/core/routing/router.js';
import type { RoutingProvider } from '../src/core/routing/types.js';
import { parseEnv } from '../src/env.js';
import { createLogger } from '../src/logger.js';
import { type StubServer, sendSse, startStubServer } from '../test/helpers/stubServer.js';
import { openaiStreamSteps } from '../test/providers/wire.js';
import { fmt, pool, createDatabase as scratchDatabase, startBenchServer, summarize } from './lib.js';

const N = Number(process.env.BENCH_TASKS ?? 300);
const C = Number(process.env.BENCH_CONCURRENCY ?? 16);
const KEY = 'sk-bench-0123456789abcdef';
const logger = createLogger({ level: 'error' });
const wallNow = () => performance.timeOrigin + performance.now();

/** An OpenAI-format stub answering at once: the same SSE stream (with usage) the connector reads. */
async function openaiStub(): Promise<StubServer> {
  return startStubServer(async (req, res) => {
    if (req.path.endsWith('/chat/completions')) return sendSse(res, openaiStreamSteps());
  });
}

async function direct(stub: StubServer, n: number) {
  const client = new OpenAI({
    apiKey: KEY,
    baseURL: `${stub.url}/v1`,
    maxRetries: 0,
    timeout: 30_000,
    logLevel: 'off',
  });
  const once = async () => {
    const t0 = performance.now();
    const stream = await client.chat.completions.create({
      model: 'gpt-bench',
      messages: [
        { role: 'system', content: 'x' },
        { role: 'user', content: 'Benchmark' },
      ],
      max_completion_tokens: 64,
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const _ of stream) {
      /* drain */
    }
    return performance.now() - t0;
  };
  for (let i = 0; i < 30; i++) await once();
  const seq: number[] = [];
  for (let i = 0; i < n; i++) seq.push(await once());
  const t0 = performance.now();
  const conc = await pool(n, C, once);
  return { seq: summarize(seq), conc: summarize(conc), concPerSecond: n / ((performance.now() - t0) / 1000) };
}

function planMicrobench() {
  const providers: RoutingProvider[] = Array.from({ length: 8 }, (_, i) => ({
    id: `p${i}`,
    name: `Provider ${i}`,
    kind: (['openai', 'anthropic', 'xai', 'mock'] as const)[i % 4]!,
    tier: i < 6 ? 'primary' : 'secondary',
    status: i === 3 ? 'disabled' : 'active',
    competencies: { article: 0.5 + i / 20, summary: 0.7 },
    costPer1kInput: 0.001 * i,
    costPer1kOutput: 0.002 * i,
    timeoutMs: 60_000,
    accounts: Array.from({ length: 3 }, (_, j) => ({
      id: `a${i}${j}`,
      name: `acct ${j}`,
      status: 'active' as const,
      tokenLimit: 1_000_000,
      tokenUsed: 1000 * j,
      tokenReserved: 100 * i,
    })),
    health: {
      circuit: i === 5 ? 'open' : 'closed',
      consecutiveFailures: 0,
      openedAt: i === 5 ? new Date() : null,
      changedAt: null,
    },
    stats: { inFlight: i, p50LatencyMs: 500 + 100 * i, errorRate: 0.01 * i, samples: 100 },
  }));
  const req = {
    taskType: 'article',
    priority: 'normal' as const,
    pinnedProviderId: null,
    inputTokens: 120,
    maxOutputTokens: 1500,
  };
  const now = new Date();
  for (let i = 0; i < 2000; i++) planRoute(req, providers, ROUTING_SETTINGS, { now });
  const samples: number[] = [];
  for (let i = 0; i < 20_000; i++) {
    const t0 = performance.now();
    planRoute(req, providers, ROUTING_SETTINGS, { now });
    samples.push(performance.now() - t0);
  }
  return summarize(samples);
}

async function hub(url: string, stub: StubServer) {
  const requestStart = new Map<string, number>();
  const decisionEnd = new Map<string, { at: number; ms: number }>();
  const decisions: number[] = [];
  const env = parseEnv({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: mkdtempSync(path.join(tmpdir(), 'sy-bench-')),
    DATABASE_URL: url,
    JWT_SECRET: 'bench-jwt-secret-that-is-long-enough-0123456789',
    ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'),
    ADMIN_EMAIL: 'admin@example.com',
    ADMIN_PASSWORD: 'admin-password-1',
    LOG_LEVEL: 'error',
    MOCK_PROVIDER: 'off',
    RATE_LIMIT_PER_MINUTE: '100000000',
    AUTH_RATE_LIMIT_PER_MINUTE: '100000',
    WORKER_CONCURRENCY: String(C),
  });
  const sy = await startSwitchyard({
    env,
    logger,
    roles: ['api', 'worker'],
    instrument: {
      onRequestStart: (taskId) => requestStart.set(taskId, wallNow()),
      onDecision: (taskId, ms) => {
        decisions.push(ms);
        decisionEnd.set(taskId, { at: wallNow(), ms });
      },
    },
  });
  const base = sy.api!.url;
  const call = async (method: string, p: string, token: string | null, body?: unknown) => {
    const r = await fetch(base + p, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    if (r.status >= 300) throw new Error(`${method} ${p} → ${r.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  const admin = await call('POST', '/api/auth/login', null, {
    username: 'admin',
    password: 'admin-password-1',
  });
  // Three providers on the stub so the router has real choices to weigh.
  for (const [i, competency] of [0.9, 0.7, 0.5].entries()) {
    const p = await call('POST', '/api/providers', admin.accessToken, {
      name: `Stub ${i}`,
      kind: 'openai',
      apiEndpoint: `${stub.url}/v1`,
      defaultModel: 'gpt-bench',
      competencies: { article: competency },
    });
    await call('POST', `/api/providers/${p.id}/accounts`, admin.accessToken, {
      accountName: 'main',
      tokenLimit: 1_000_000_000_000,
      credentials: { apiKey: KEY },
    });
  }
  const user = await call('POST', '/api/auth/register', null, {
    username: 'bench',
    email: 'bench@example.com',
    password: 'bench-password-1',
  });
  const db = new pg.Pool({ connectionString: url, max: 4 });

  const submit = async (i: number) => {
    const t0 = wallNow();
    const task = await call('POST', '/api/tasks', user.accessToken, {
      description: `Benchmark article number ${i}`,
      taskType: 'article',
      options: { maxTokens: 64 },
    });
    return { id: task.id as string, t0, posted: wallNow() };
  };
  const waitAll = async (ids: string[]) => {
    for (;;) {
      const r = await db.query(
        `SELECT count(*)::int AS n FROM tasks WHERE id = ANY($1) AND status IN ('completed', 'failed')`,
        [ids],
      );
      if (r.rows[0].n >= ids.length) return;
      await new Promise((res) => setTimeout(res, 5));
    }
  };
  const measure = async (sent: Array<{ id: string; t0: number; posted: number }>) => {
    const r = await db.query(
      `SELECT t.id, t.status, extract(epoch FROM t.completed_at) * 1000 AS done, extract(epoch FROM j.started_on) * 1000 AS claimed,
              extract(epoch FROM t.created_at) * 1000 AS created
       FROM tasks t JOIN pgboss.job j ON j.id::text = t.job_id AND j.name = 'generate' WHERE t.id = ANY($1)`,
      [sent.map((s) => s.id)],
    );
    const byId = new Map(r.rows.map((x) => [x.id as string, x]));
    const wall: number[] = [];
    const claimToByte: number[] = [];
    const phases: Record<string, number[]> = {
      'POST answered': [],
      'created → claimed (queue)': [],
      'claimed → routing starts': [],
      'routing decision': [],
      'decision → first byte': [],
      'first byte → completed': [],
    };
    let failed = 0;
    for (const s of sent) {
      const row = byId.get(s.id);
      if (row?.status !== 'completed') {
        failed++;
        continue;
      }
      wall.push(Number(row.done) - s.t0);
      const first = requestStart.get(s.id);
      const dec = decisionEnd.get(s.id);
      if (first !== undefined && row.claimed) claimToByte.push(first - Number(row.claimed));
      phases['POST answered']!.push(s.posted - s.t0);
      phases['created → claimed (queue)']!.push(Number(row.claimed) - Number(row.created));
      if (dec && first !== undefined) {
        phases['claimed → routing starts']!.push(dec.at - dec.ms - Number(row.claimed));
        phases['routing decision']!.push(dec.ms);
        phases['decision → first byte']!.push(first - dec.at);
        phases['first byte → completed']!.push(Number(row.done) - first);
      }
    }
    return {
      wall: summarize(wall),
      claimToByte: summarize(claimToByte),
      phases: Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, summarize(v)])),
      failed,
    };
  };

  // Warm-up, then sequential (one task at a time: pure added latency), then concurrent.
  const warm = await pool(30, 1, submit);
  await waitAll(warm.map((w) => w.id));
  decisions.length = 0;
  const seqSent: Array<{ id: string; t0: number; posted: number }> = [];
  for (let i = 0; i < N; i++) {
    const s = await submit(i);
    seqSent.push(s);
    await waitAll([s.id]);
  }
  const seqDecisions = summarize(decisions);
  const seq = await measure(seqSent);
  decisions.length = 0;
  const t0 = performance.now();
  const concSent = await pool(N, C, async (i) => {
    const s = await submit(N + i);
    await waitAll([s.id]);
    return s;
  });
  const concPerSecond = N / ((performance.now() - t0) / 1000);
  const conc = await measure(concSent);
  const concDecisions = summarize(decisions);
  await db.end();
  await sy.stop();
  return { seq, conc, concPerSecond, seqDecisions, concDecisions };
}

// ---------------------------------------------------------------------------------------------------

const postgres = await startBenchServer(logger);
const adminUrl = postgres.adminUrl;
const database = await scratchDatabase(adminUrl, 'bench_router');
const stub = await openaiStub();
try {
  console.log(
    `bench:router — ${N} tasks sequential, then ${N} at concurrency ${C}; stub OpenAI-format provider answering at once (SSE, usage); ${availableParallelism()} CPUs, ${postgres.label}`,
  );
  const plan = planMicrobench();
  const d = await direct(stub, N);
  const h = await hub(database.url, stub);

  const line = (label: string, s: { p50: number; p99: number }, unit = 'ms', digits = 2) =>
    console.log(
      `${label.padEnd(44)} p50 ${fmt(s.p50, digits).padStart(8)}   p99 ${fmt(s.p99, digits).padStart(8)}   ${unit}`,
    );
  console.log('\n(a) worker claim → connector first byte (onRequestStart)');
  line('  sequential', h.seq.claimToByte);
  line(`  concurrent (${C})`, h.conc.claimToByte);
  console.log('\n(b) wall time per task: whole hub vs the same SDK calling the stub directly');
  line('  direct SDK call, sequential', d.seq);
  line('  hub: POST /api/tasks → completed, sequential', h.seq.wall);
  console.log(
    `  ratio hub/direct (p50) ${fmt(h.seq.wall.p50 / d.seq.p50, 1)}×; added per task ${fmt(h.seq.wall.p50 - d.seq.p50, 2)} ms (p50), ${fmt(h.seq.wall.p99 - d.seq.p99, 2)} ms (p99)`,
  );
  console.log('  where the sequential time goes:');
  for (const [k, v] of Object.entries(h.seq.phases)) line(`    ${k}`, v);
  line(`  direct SDK call, concurrent (${C})`, d.conc);
  line(`  hub, concurrent (${C})`, h.conc.wall);
  console.log(
    `  throughput: direct ${fmt(d.concPerSecond, 0)} calls/s, hub ${fmt(h.concPerSecond, 0)} tasks/s (submit → completed, ${C} clients)`,
  );
  console.log('\n(c) routing decision');
  line('  in the worker (release + snapshot + plan), seq', h.seqDecisions);
  line(`  in the worker, concurrent (${C})`, h.concDecisions);
  line('  planRoute() alone, 8 providers × 3 accounts', plan, 'ms', 4);
  console.log(`\nfailed tasks: ${h.seq.failed + h.conc.failed}`);
  console.log(
    'published gateway overheads for comparison: Bifrost ~0.44 ms, Portkey ~2.37 ms, LiteLLM ~3–4 ms added per call',
  );
} finally {
  await stub.close();
  await database.drop();
  await postgres.stop();
}
