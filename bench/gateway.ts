/**
 * `npm run bench:gateway`: what an OpenAI-compatible gateway adds to a provider call, all in one run
 * against the same 0 ms stub (bench/gatewayStub.ts, its own process). Figures only; nothing passes or fails.
 *
 *   direct      the `openai` SDK → the stub
 *   switchyard  the SDK → Switchyard's /v1 (its own process: routing, one-statement budget
 *               reservation, batched recording as tasks — all on) → the stub. The caller has a
 *               money budget (user scope, $1M a month), so every call also reserves its priced
 *               estimate against it (one statement) and is priced and settled after the response;
 *               BENCH_GATEWAY_BUDGET=0 leaves the caller without a budget (no such statement).
 *   portkey     the SDK → @portkey-ai/gateway (its own process, `x-portkey-custom-host`) → the stub
 *
 * For each: BENCH_GATEWAY_N (default 2000) sequential calls (c=1) after a warm-up, then a closed loop
 * at c=20 for BENCH_GATEWAY_SECONDS (default 8). Printed: p50/p99 latency, p50/p99 added over direct,
 * req/s (each gateway is one process, so req/s at c=20 is its req/s per process), and the ratios.
 * Also printed: CPU time per call at c=20 of each gateway's process (and of Switchyard's embedded
 * PostgreSQL), read from /proc: the per-process cost, whatever else the machine runs meanwhile.
 * DATABASE_URL points Switchyard at a server; otherwise an embedded PostgreSQL runs in a temporary directory.
 * BENCH_GATEWAY_CPU_PROF=<dir> writes a V8 CPU profile of Switchyard's process there.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { createLogger } from '../src/logger.js';
import {
  type BenchServer,
  closedLoop,
  cpuMs,
  fmt,
  postgresPids,
  createDatabase as scratchDatabase,
  startBenchServer,
  summarize,
} from './lib.js';

const N = Number(process.env.BENCH_GATEWAY_N ?? 2000);
const SECONDS = Number(process.env.BENCH_GATEWAY_SECONDS ?? 8);
const C = 20;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const children: ChildProcess[] = [];

/** Spawns a process and waits for the line starting with `prefix`; returns the rest of it. */
function start(args: string[], prefix: string, env: Record<string, string> = {}): Promise<string> {
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith(prefix));
      if (line) resolve(line.slice(prefix.length).trim());
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d) => {
      out += d.toString();
    });
    child.on('exit', (code) => reject(new Error(`${args.join(' ')} exited (${code}): ${out.slice(-2000)}`)));
  });
}

async function waitForHttp(url: string) {
  for (let i = 0; i < 200; i++) {
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${url} did not answer`);
}

async function json(url: string, init: RequestInit & { token?: string } = {}): Promise<any> {
  const res = await fetch(url, {
    ...init,
    headers: {
      'content-type': 'application/json',
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
    },
  });
  const body = await res.json();
  if (!res.ok) throw new Error(`${url}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/** Creates the provider (the stub), its account, a user and the user's API token. */
async function setUpSwitchyard(url: string, stubUrl: string): Promise<string> {
  const admin = await json(`${url}/api/auth/login`, {
    method: 'POST',
    body: JSON.stringify({ username: 'admin', password: 'admin-password-1' }),
  });
  const p = await json(`${url}/api/providers`, {
    method: 'POST',
    token: admin.accessToken,
    body: JSON.stringify({
      name: 'stub',
      kind: 'openai_compatible',
      apiEndpoint: `${stubUrl}/v1`,
      models: ['gpt-4o-mini'],
      defaultModel: 'gpt-4o-mini',
      competencies: { article: 0.9 },
    }),
  });
  await json(`${url}/api/providers/${p.id}/accounts`, {
    method: 'POST',
    token: admin.accessToken,
    body: JSON.stringify({
      accountName: 'bench',
      tokenLimit: 1_000_000_000_000,
      credentials: { apiKey: 'sk-bench' },
    }),
  });
  const user = await json(`${url}/api/auth/register`, {
    method: 'POST',
    body: JSON.stringify({ username: 'bench', email: 'bench@example.com', password: 'password-123' }),
  });
  const token = await json(`${url}/api/auth/tokens`, {
    method: 'POST',
    token: user.accessToken,
    body: JSON.stringify({ name: 'bench' }),
  });
  if (process.env.BENCH_GATEWAY_BUDGET !== '0')
    await json(`${url}/api/budgets`, {
      method: 'POST',
      token: admin.accessToken,
      body: JSON.stringify({
        scope: 'user',
        scopeId: user.user.id,
        limitMicros: 1_000_000_000_000,
        period: 'monthly',
      }),
    });
  return token.token;
}

interface Target {
  name: string;
  client: OpenAI;
  headers?: Record<string, string>;
  /** The gateway's process, whose CPU time the calls cost. */
  pids?: () => number[];
  /** Its database's processes (Switchyard's PostgreSQL), counted beside it. */
  dbPids?: () => number[];
}

async function measure(t: Target) {
  const once = async () => {
    const r = await t.client.chat.completions.create(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Benchmark' }], max_tokens: 16 },
      t.headers ? { headers: t.headers } : undefined,
    );
    if (r.choices[0]?.message.content !== 'ok') throw new Error(`${t.name}: unexpected answer`);
  };
  for (let i = 0; i < 300; i++) await once();
  const seq: number[] = [];
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    await once();
    seq.push(performance.now() - t0);
  }
  const pids = t.pids?.() ?? [];
  const dbPids = t.dbPids?.() ?? [];
  const cpu0 = cpuMs(pids);
  const db0 = cpuMs(dbPids);
  const loop = await closedLoop(C, SECONDS * 1000, once);
  const calls = loop.latencies.length;
  const processCpu = cpuMs(pids) - cpu0;
  const cpu = processCpu + cpuMs(dbPids) - db0;
  return {
    c1: summarize(seq),
    c20: summarize(loop.latencies),
    perSecond: loop.perSecond,
    errors: loop.errors,
    cpuMsPerCall: pids.length && calls ? cpu / calls : Number.NaN,
    processCpuMsPerCall: pids.length && calls ? processCpu / calls : Number.NaN,
  };
}

const logger = createLogger({ level: 'error' });
let postgres: BenchServer | undefined;
let database: { url: string; drop(): Promise<void> } | undefined;
try {
  postgres = await startBenchServer(logger);
  const adminUrl = postgres.adminUrl;
  database = await scratchDatabase(adminUrl, 'bench_gateway');
  const tsx = ['--import', 'tsx'];
  const stubPort = await start([...tsx, 'bench/gatewayStub.ts'], 'PORT ');
  const stubUrl = `http://127.0.0.1:${stubPort}`;
  const syUrl = await start(
    [
      ...tsx,
      ...(process.env.BENCH_GATEWAY_CPU_PROF
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_GATEWAY_CPU_PROF}`]
        : []),
      'bench/gatewayServer.ts',
    ],
    'URL ',
    { DATABASE_URL: database.url },
  );
  const portkeyPort = 18787 + Math.floor(Math.random() * 1000);
  const portkey = spawn(
    process.execPath,
    [
      path.join(root, 'node_modules/@portkey-ai/gateway/build/start-server.js'),
      `--port=${portkeyPort}`,
      '--headless',
    ],
    { cwd: root, stdio: 'ignore' },
  );
  children.push(portkey);
  const portkeyUrl = `http://127.0.0.1:${portkeyPort}`;
  await waitForHttp(portkeyUrl);
  const token = await setUpSwitchyard(syUrl, stubUrl);

  const sdk = (baseURL: string, apiKey: string) =>
    new OpenAI({ apiKey, baseURL, maxRetries: 0, timeout: 30_000, logLevel: 'off' });
  const targets: Target[] = [
    { name: 'direct', client: sdk(`${stubUrl}/v1`, 'sk-bench') },
    {
      name: 'switchyard',
      client: sdk(`${syUrl}/v1`, token),
      pids: () => [children[1]!.pid!],
      dbPids: () => (postgres ? postgresPids(postgres) : []),
    },
    {
      name: 'portkey',
      client: sdk(`${portkeyUrl}/v1`, 'sk-bench'),
      headers: { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `${stubUrl}/v1` },
      pids: () => [portkey.pid!],
    },
  ];
  console.log(
    `bench:gateway — ${N} sequential calls (c=1) then ${SECONDS} s at c=${C}, non-streaming, 0 ms stub in its own process; ` +
      `Switchyard (caller's money budget ${process.env.BENCH_GATEWAY_BUDGET === '0' ? 'off' : 'on'}) and Portkey 1.15.2 each one process; ${availableParallelism()} CPUs, ${postgres.label}`,
  );
  const results: Record<string, Awaited<ReturnType<typeof measure>>> = {};
  for (const t of targets) results[t.name] = await measure(t);
  const d = results.direct!;
  console.log('');
  console.log(
    '                 c=1 p50   c=1 p99   added p50  added p99 | c=20 p50  c=20 p99   req/s  errors',
  );
  for (const t of targets) {
    const r = results[t.name]!;
    const added = (v: number, base: number) =>
      t.name === 'direct' ? '        —' : `${fmt(v - base, 2).padStart(7)} ms`;
    console.log(
      `  ${t.name.padEnd(12)} ${fmt(r.c1.p50, 2).padStart(6)} ms ${fmt(r.c1.p99, 2).padStart(6)} ms ${added(r.c1.p50, d.c1.p50)} ${added(r.c1.p99, d.c1.p99)} | ` +
        `${fmt(r.c20.p50, 2).padStart(6)} ms ${fmt(r.c20.p99, 2).padStart(6)} ms ${fmt(r.perSecond, 0).padStart(7)} ${String(r.errors).padStart(6)} | ` +
        `${fmt(r.cpuMsPerCall, 3).padStart(11)} ${fmt(1000 / r.cpuMsPerCall, 0).padStart(16)}`,
    );
  }
  const sy = results.switchyard!;
  const pk = results.portkey!;
  console.log('');
  console.log(
    `  added p50 at c=1: Switchyard +${fmt(sy.c1.p50 - d.c1.p50, 2)} ms, Portkey +${fmt(pk.c1.p50 - d.c1.p50, 2)} ms ` +
      `(Switchyard/Portkey ${fmt((sy.c1.p50 - d.c1.p50) / (pk.c1.p50 - d.c1.p50), 2)}×; aim ≤ +1.0 ms)`,
  );
  console.log(
    `  req/s per process at c=${C}: Switchyard ${fmt(sy.perSecond, 0)}, Portkey ${fmt(pk.perSecond, 0)} ` +
      `(Switchyard/Portkey ${fmt(sy.perSecond / pk.perSecond, 2)}×; aim ≥ 2×); direct ${fmt(d.perSecond, 0)}`,
  );
  console.log(
    `  CPU per call at c=${C}: Switchyard ${fmt(sy.cpuMsPerCall, 3)} ms (its process ${fmt(sy.processCpuMsPerCall, 3)} ms${postgres?.dataDir ? ' + its PostgreSQL' : '; PostgreSQL elsewhere, not counted'}), ` +
      `Portkey ${fmt(pk.cpuMsPerCall, 3)} ms → calls per CPU-second ${fmt(1000 / sy.cpuMsPerCall, 0)} vs ${fmt(1000 / pk.cpuMsPerCall, 0)} ` +
      `(Switchyard/Portkey ${fmt(pk.cpuMsPerCall / sy.cpuMsPerCall, 2)}×): the per-process throughput on a dedicated core, whatever else the machine runs`,
  );
} finally {
  for (const c of children.reverse()) {
    c.kill('SIGTERM');
    await new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)));
  }
  await database?.drop().catch(() => {});
  await postgres?.stop();
}
