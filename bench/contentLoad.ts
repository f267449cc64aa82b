/**
 * `npm run bench:content`: can one user's heavy content requests stall the API? (review item 3)
 *
 * Starts the app (API + worker roles, mock provider) and BENCH_CLIENTS (default 10) users, each with
 * a content item whose last two versions are about 1 MB each (BENCH_SIZE characters, default
 * 1,000,000: the version limit; every 20th line differs). Then measures GET /healthz from one probe
 * client (a request every 20 ms) for BENCH_SECONDS (default 10) each:
 *   1. idle;
 *   2. while BENCH_CLIENTS clients of ONE user hammer the diff and the PDF and DOCX exports of those
 *      versions in a closed loop, ignoring Retry-After (the review's "one user can stall the API");
 *   3. the same with each client a different user (the queue itself fills up).
 * Prints both p99s side by side with their ratio, and what the load clients got (200s, 503s with
 * Retry-After from the full render queue) and the render pool's counters. Figures only.
 *
 * The probe runs in the app's own process (a stalled event loop delays it as it delays every
 * request); the load clients run in a child process, so reading their multi-megabyte responses
 * does not count against the app's event loop.
 *
 * DATABASE_URL points it at a server (a scratch database is created and dropped); otherwise the app
 * runs its embedded PostgreSQL in a temporary directory.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { type Switchyard, startSwitchyard } from '../src/compose.js';
import { parseEnv } from '../src/env.js';
import { createLogger } from '../src/logger.js';
import { createDatabase, fmt, summarize } from './lib.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 10);
const SIZE = Number(process.env.BENCH_SIZE ?? 1_000_000);
const PROBE_EVERY_MS = 20;
// Full-queue 503s are expected here; the error handler would log each one.
const logger = createLogger({
  level: 'error',
  stream: new Writable({ write: (_chunk, _enc, cb) => cb() }),
});

/** Markdown of about `chars` characters: list lines under a heading every 40 lines. */
function markdown(chars: number): string {
  const words = ['tide', 'pool', 'anemone', 'crab', 'kelp', 'rock', 'wave', 'shell', 'urchin', 'star'];
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; ; i++) {
    const line =
      i % 40 === 0
        ? `## Section ${i / 40}`
        : `- ${Array.from({ length: 10 }, (_, k) => words[(i * 7 + k * 3) % words.length]).join(' ')} **${i}**`;
    if (size + line.length + 1 > chars) break;
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join('\n');
}

async function call(url: string, init: RequestInit & { token?: string } = {}) {
  const { token, ...rest } = init;
  const res = await fetch(url, {
    ...rest,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(rest.body ? { 'content-type': 'application/json' } : {}),
    },
  });
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, body };
}

/**
 * /healthz latencies from one client, one request every PROBE_EVERY_MS, until `until` resolves;
 * and the event loop's own delay meanwhile (p99, ms), which separates a blocked loop from a CPU
 * that is simply busy elsewhere.
 */
async function probe(base: string, until: Promise<unknown>): Promise<{ samples: number[]; loopP99: number }> {
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  let done = false;
  void until.then(() => {
    done = true;
  });
  const out: number[] = [];
  while (!done) {
    const t0 = performance.now();
    const r = await call(`${base}/healthz`);
    if (r.status === 200) out.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, PROBE_EVERY_MS));
  }
  loop.disable();
  return { samples: out, loopP99: loop.percentile(99) / 1e6 };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface LoadTarget {
  base: string;
  token: string;
  contentId: string;
  from: number;
  to: number;
}

interface LoadResult {
  counts: Record<string, number>;
  times: Record<string, number[]>;
  /** 429/503 answers that carried Retry-After. */
  retryAfter: number;
}

function loadOps({ base, token, contentId, from, to }: LoadTarget) {
  const exportBody = (format: string, version: number) => ({
    method: 'POST',
    token,
    body: JSON.stringify({ format, version }),
  });
  return [
    {
      name: 'diff',
      run: () => call(`${base}/api/content/${contentId}/diff?from=${from}&to=${to}`, { token }),
    },
    { name: 'export pdf', run: () => call(`${base}/api/content/${contentId}/export`, exportBody('pdf', to)) },
    {
      name: 'export docx',
      run: () => call(`${base}/api/content/${contentId}/export`, exportBody('docx', from)),
    },
  ];
}

/**
 * The load: CLIENTS closed loops over diff, PDF and DOCX for SECONDS (run in the child process);
 * client c acts as the owner of targets[c % targets.length]. No client waits for Retry-After.
 */
async function generateLoad(targets: LoadTarget[]): Promise<LoadResult> {
  const out: LoadResult = { counts: {}, times: {}, retryAfter: 0 };
  const stopAt = performance.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, c) => {
      const ops = loadOps(targets[c % targets.length]!);
      for (let i = c; performance.now() < stopAt; i++) {
        const op = ops[i % ops.length]!;
        const t0 = performance.now();
        let status: number | string;
        try {
          const r = await op.run();
          status = r.status;
          if ((r.status === 429 || r.status === 503) && r.headers.get('retry-after')) out.retryAfter++;
          if (r.status === 200) {
            out.times[op.name] ??= [];
            out.times[op.name]!.push(performance.now() - t0);
          }
        } catch (e) {
          status = (e as Error).message;
        }
        const key = `${op.name} ${status}`;
        out.counts[key] = (out.counts[key] ?? 0) + 1;
      }
    }),
  );
  return out;
}

/** Runs generateLoad in a child process (this file with --load) and returns what it measured. */
function runLoadProcess(targets: LoadTarget[]): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--load'], {
      env: { ...process.env, BENCH_LOAD_TARGETS: JSON.stringify(targets) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`load process exited with ${code}`));
      else resolve(JSON.parse(stdout) as LoadResult);
    });
  });
}

/** A user with one content item whose last two versions are `bodies`, as a load target. */
async function makeTarget(base: string, username: string, bodies: string[]): Promise<LoadTarget> {
  const reg = await call(`${base}/api/auth/register`, {
    method: 'POST',
    body: JSON.stringify({ username, email: `${username}@example.com`, password: 'bench-password-1' }),
  });
  if (reg.status !== 201) throw new Error(`register: ${reg.status} ${reg.body.toString().slice(0, 200)}`);
  const token = JSON.parse(reg.body.toString()).accessToken as string;
  const task = await call(`${base}/api/tasks`, {
    method: 'POST',
    token,
    body: JSON.stringify({ description: 'Write about tide pools', taskType: 'article' }),
  });
  const taskId = JSON.parse(task.body.toString()).id as string;
  let contentId: string | undefined;
  for (let i = 0; i < 600 && !contentId; i++) {
    const t = JSON.parse((await call(`${base}/api/tasks/${taskId}`, { token })).body.toString());
    if (t.status === 'failed' || t.status === 'cancelled') throw new Error(`the task ${t.status}`);
    contentId = t.contentId ?? undefined;
    if (!contentId) await sleep(100);
  }
  if (!contentId) throw new Error('no content after 60 s');
  let version = 0;
  for (const contentData of bodies) {
    const r = await call(`${base}/api/content/${contentId}`, {
      method: 'PUT',
      token,
      body: JSON.stringify({ contentData }),
    });
    if (r.status !== 200) throw new Error(`PUT content: ${r.status} ${r.body.toString().slice(0, 200)}`);
    version = JSON.parse(r.body.toString()).version;
  }
  return { base, token, contentId, from: version - 1, to: version };
}

async function main() {
  let scratch: Awaited<ReturnType<typeof createDatabase>> | undefined;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sy-bench-content-'));
  chmodSync(dataDir, 0o755); // the embedded server runs as "postgres" when we are root
  let sy: Switchyard | undefined;
  try {
    if (process.env.DATABASE_URL) scratch = await createDatabase(process.env.DATABASE_URL, 'bench_content');
    const env = parseEnv({
      NODE_ENV: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      DATABASE_URL: scratch?.url,
      JWT_SECRET: 'bench-jwt-secret-that-is-long-enough-0123456789',
      ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'),
      LOG_LEVEL: 'error',
      RATE_LIMIT_PER_MINUTE: '100000000',
      AUTH_RATE_LIMIT_PER_MINUTE: '100000000',
    });
    sy = await startSwitchyard({ env, logger, roles: ['api', 'worker'] });
    const base = sy.api!.url;

    // CLIENTS users, each with a generated content item and then two ~1 MB versions of it that
    // differ in every 20th line.
    const v1 = markdown(SIZE);
    const v2 = v1
      .split('\n')
      .map((line, i) => (i % 20 === 19 ? `${line} (edited)` : line))
      .join('\n')
      .slice(0, SIZE);
    const targets = await Promise.all(
      Array.from({ length: CLIENTS }, (_, i) => makeTarget(base, `bench${i}`, [v1, v2])),
    );

    // Warm-up: one of each (starts the render thread and loads the renderers there).
    const firstRun = performance.now();
    for (const op of loadOps(targets[0]!)) {
      const r = await op.run();
      if (r.status !== 200) throw new Error(`${op.name}: ${r.status} ${r.body.toString().slice(0, 200)}`);
    }
    const warmMs = performance.now() - firstRun;

    const pool = sy.renderPool;
    console.log(
      `bench:content — ${availableParallelism()} CPUs; render pool: ${pool.maxThreads} thread(s), queue ${pool.maxQueue}, ${pool.maxPerRequester} jobs per user; ` +
        `versions of ${v1.length.toLocaleString('en-US')} and ${v2.length.toLocaleString('en-US')} characters; ` +
        `${CLIENTS} load clients × ${SECONDS} s; /healthz probed every ${PROBE_EVERY_MS} ms; ` +
        `${scratch ? 'PostgreSQL at DATABASE_URL' : 'embedded PostgreSQL'}`,
    );
    console.log(
      `warm-up: diff + pdf + docx once each took ${fmt(warmMs, 0)} ms (the first starts the render thread)`,
    );

    const rows: Array<{ label: string; n: number; p50: number; p99: number; max: number; loopP99: number }> =
      [];
    const idle = await probe(base, sleep(SECONDS * 1000));
    rows.push({ label: 'idle', ...summarize(idle.samples), loopP99: idle.loopP99 });
    const loads: Array<{
      label: string;
      result: LoadResult;
      completed: number;
      refused: number;
      throttled: number;
    }> = [];
    for (const [label, users] of [
      [`1 user, ${CLIENTS} clients`, targets.slice(0, 1)],
      [`${CLIENTS} users, 1 client each`, targets],
    ] as const) {
      const before = pool.stats();
      const load = runLoadProcess([...users]);
      const loaded = await probe(base, load);
      const result = await load;
      const after = pool.stats();
      rows.push({ label, ...summarize(loaded.samples), loopP99: loaded.loopP99 });
      loads.push({
        label,
        result,
        completed: after.completed - before.completed,
        refused: after.rejected - before.rejected,
        throttled: after.throttled - before.throttled,
      });
      await sleep(2_000); // let the queue drain between scenarios
    }

    console.log(
      `\n${'/healthz'.padEnd(28)} ${'samples'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'max ms'.padStart(8)} ${'loop delay p99'.padStart(15)} ${'p99 ratio'.padStart(10)}`,
    );
    for (const r of rows) {
      console.log(
        `${r.label.padEnd(28)} ${String(r.n).padStart(8)} ${fmt(r.p50).padStart(8)} ${fmt(r.p99).padStart(8)} ${fmt(r.max).padStart(8)} ${fmt(r.loopP99).padStart(15)} ${`${fmt(r.p99 / rows[0]!.p99, 2)}×`.padStart(10)}`,
      );
    }
    for (const r of rows.slice(1)) {
      console.log(
        `p99 idle ${fmt(rows[0]!.p99)} ms vs under load (${r.label}) ${fmt(r.p99)} ms: ratio ${fmt(r.p99 / rows[0]!.p99, 2)}×; aim < 100 ms ${r.p99 < 100 ? 'met' : 'NOT met'}`,
      );
    }
    for (const l of loads) {
      console.log(`\nload "${l.label}" (op status → count; 200s with their p50 latency):`);
      for (const [key, n] of Object.entries(l.result.counts).sort()) {
        const [op, status] = [key.slice(0, key.lastIndexOf(' ')), key.slice(key.lastIndexOf(' ') + 1)];
        const lat = status === '200' ? `  (p50 ${fmt(summarize(l.result.times[op] ?? []).p50, 0)} ms)` : '';
        console.log(`  ${key.padEnd(22)} ${String(n).padStart(6)}${lat}`);
      }
      console.log(
        `  with Retry-After: ${l.result.retryAfter}; render pool: ${l.completed} jobs completed on its thread(s), ${l.refused} refused (queue full, 503), ${l.throttled} refused (user's share, 429)`,
      );
    }
  } finally {
    await sy?.stop();
    await scratch?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--load')) {
  const result = await generateLoad(JSON.parse(process.env.BENCH_LOAD_TARGETS ?? '[]') as LoadTarget[]);
  process.stdout.write(JSON.stringify(result));
} else {
  await main();
}
