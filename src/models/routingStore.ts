import { type SQL, sql } from 'drizzle-orm';
import type { DecisionRecord, RoutingStore, RoutingTarget } from '../core/routing/ports.js';
import type { CircuitSettings, CircuitState, RoutingStats } from '../core/routing/types.js';
import type { Db } from './db.js';
import { poolOf, queryPrepared } from './preparedStatements.js';
import {
  type DirectoryAccount,
  type DirectoryProvider,
  PROVIDER_COLUMNS,
  type ProviderDirectory,
} from './providerDirectory.js';
import { FAILURE_CODES_SQL } from './providerHealthStore.js';

/** A provider's circuit, or a provider account's budget: what changes with every task (read fresh). */
interface LiveRow extends Record<string, unknown> {
  kind: 'health' | 'budget';
  id: string;
  circuit: CircuitState | null;
  consecutive_failures: number | null;
  opened_at: Date | string | null;
  changed_at: Date | string | null;
  token_limit: string | number | null;
  token_used: string | number | null;
  token_reserved: string | number | null;
}

/** The whole picture in one query (no cache): a directory row with its circuit and its accounts' budgets. */
interface FullRow extends DirectoryProvider {
  circuit: CircuitState | null;
  consecutive_failures: number | null;
  opened_at: Date | string | null;
  changed_at: Date | string | null;
  accounts: Array<DirectoryAccount & Pick<LiveRow, 'token_limit' | 'token_used' | 'token_reserved'>>;
}

interface StatsRow extends Record<string, unknown> {
  provider_id: string;
  in_flight: number | string;
  p50: number | string | null;
  p95: number | string | null;
  p95_ttft: number | string | null;
  rate: number | string | null;
  samples: number | string;
  failures: number | string;
}

export type CredentialOpener = (envelope: string, accountId: string) => Record<string, unknown>;

const date = (v: Date | string | null | undefined) => (v ? new Date(v) : null);
const EMPTY_STATS: RoutingStats = { inFlight: 0, p50LatencyMs: null, errorRate: null, samples: 0 };

/** An answer that streamed for less than this after its first token tells nothing about the rate. */
const MIN_STREAM_MS = 100;

/**
 * Recent statistics per provider from task_assignments: attempts in flight, p50/p95 latency of recent
 * successes, their p95 time to first token and the slow end (5th percentile) of their output rate
 * (output tokens ÷ time after the first token), and the share of recent attempts that failed for
 * provider-side reasons.
 */
export async function providerStats(
  db: Db,
  windowSeconds: number,
  providerId?: string,
): Promise<Map<string, RoutingStats>> {
  const r = await db.execute<StatsRow>(sql`
    SELECT provider_id,
      count(*) FILTER (WHERE settled_at IS NULL AND status = 'running') AS in_flight,
      percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms)
        FILTER (WHERE status = 'succeeded' AND latency_ms IS NOT NULL AND created_at > now() - make_interval(secs => ${windowSeconds}::double precision)) AS p50,
      percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms)
        FILTER (WHERE status = 'succeeded' AND latency_ms IS NOT NULL AND created_at > now() - make_interval(secs => ${windowSeconds}::double precision)) AS p95,
      percentile_cont(0.95) WITHIN GROUP (ORDER BY ttft_ms)
        FILTER (WHERE status = 'succeeded' AND ttft_ms IS NOT NULL AND created_at > now() - make_interval(secs => ${windowSeconds}::double precision)) AS p95_ttft,
      percentile_cont(0.05) WITHIN GROUP (ORDER BY tokens_output * 1000.0 / (latency_ms - ttft_ms))
        FILTER (WHERE status = 'succeeded' AND ttft_ms IS NOT NULL AND tokens_output > 0
                  AND latency_ms - ttft_ms >= ${MIN_STREAM_MS}
                  AND created_at > now() - make_interval(secs => ${windowSeconds}::double precision)) AS rate,
      count(*) FILTER (WHERE created_at > now() - make_interval(secs => ${windowSeconds}::double precision)
                         AND (status = 'succeeded' OR error_code IN ${FAILURE_CODES_SQL})) AS samples,
      count(*) FILTER (WHERE created_at > now() - make_interval(secs => ${windowSeconds}::double precision)
                         AND error_code IN ${FAILURE_CODES_SQL}) AS failures
    FROM task_assignments
    WHERE provider_id IS NOT NULL ${providerId ? sql`AND provider_id = ${providerId}` : sql``}
      AND (created_at > now() - make_interval(secs => ${windowSeconds}::double precision)
           OR (settled_at IS NULL AND created_at > now() - interval '6 hours'))
    GROUP BY provider_id`);
  const out = new Map<string, RoutingStats>();
  for (const row of r.rows) {
    const samples = Number(row.samples);
    out.set(row.provider_id, {
      inFlight: Number(row.in_flight),
      p50LatencyMs: row.p50 === null ? null : Math.round(Number(row.p50)),
      p95LatencyMs: row.p95 === null ? null : Math.round(Number(row.p95)),
      p95TtftMs: row.p95_ttft === null ? null : Math.round(Number(row.p95_ttft)),
      tokensPerSecond: row.rate === null ? null : Math.round(Number(row.rate) * 10) / 10,
      errorRate: samples > 0 ? Number(row.failures) / samples : null,
      samples,
    });
  }
  return out;
}

/** Per-provider circuit overrides from provider.config.circuitBreaker (validated by circuitSettingsFor). */
function circuitOverrides(config: Record<string, unknown> | null): Partial<CircuitSettings> | undefined {
  const c = config?.circuitBreaker;
  return c && typeof c === 'object' && !Array.isArray(c) ? (c as Partial<CircuitSettings>) : undefined;
}

type Health = Pick<LiveRow, 'circuit' | 'consecutive_failures' | 'opened_at' | 'changed_at'>;
type Budget = Pick<LiveRow, 'token_limit' | 'token_used' | 'token_reserved'>;

/** Providers with their circuits and every account's budget, in one query (no directory cache). */
const FULL_SNAPSHOT = sql`
  SELECT ${PROVIDER_COLUMNS},
         h.circuit, h.consecutive_failures, h.opened_at, h.updated_at AS changed_at,
         coalesce((
           SELECT json_agg(json_build_object(
                    'id', a.id, 'account_name', a.account_name, 'status', a.status, 'team_id', a.team_id, 'token_limit', a.token_limit,
                    'token_used', a.token_used, 'token_reserved', a.token_reserved, 'credentials', a.credentials)
                  ORDER BY a.created_at, a.id)
           FROM provider_accounts a WHERE a.provider_id = p.id), '[]'::json) AS accounts
  FROM ai_providers p LEFT JOIN provider_health h ON h.provider_id = p.id
  ORDER BY p.created_at, p.id`;

/** Circuits and budgets only (beside the cached directory): small rows, no JSON building. */
const LIVE_STATE = sql`
  SELECT 'health' AS kind, provider_id AS id, circuit, consecutive_failures, opened_at, updated_at AS changed_at,
         NULL::bigint AS token_limit, NULL::bigint AS token_used, NULL::bigint AS token_reserved
  FROM provider_health
  UNION ALL
  SELECT 'budget', id, NULL, NULL, NULL, NULL, token_limit, token_used, token_reserved
  FROM provider_accounts`;

/**
 * The router's view of the providers. With a provider directory (cached per process, invalidated
 * across processes) only circuits and budgets are read for a decision; without one, everything is
 * read in one query. Budgets and circuits are never cached. The statistics (load, latency, error
 * rate) are cached for `statsTtlMs`, since they are aggregates and a decision per task would
 * otherwise scan recent attempts each time.
 */
export function createRoutingStore(
  db: Db,
  opts: {
    open: CredentialOpener;
    statsWindowSeconds: number;
    statsTtlMs?: number;
    directory?: ProviderDirectory;
  },
): RoutingStore {
  const pool = poolOf(db);
  const ttl = opts.statsTtlMs ?? 1000;
  let cached: { at: number; stats: Promise<Map<string, RoutingStats>> } | null = null;
  const stats = () => {
    const now = performance.now();
    if (!cached || now - cached.at > ttl) {
      const p = providerStats(db, opts.statsWindowSeconds);
      cached = { at: now, stats: p };
      p.catch(() => {
        if (cached?.stats === p) cached = null;
      });
    }
    return cached.stats;
  };

  const target = (
    p: DirectoryProvider,
    h: Health | undefined,
    budgetOf: (accountId: string) => Budget | undefined,
    st: Map<string, RoutingStats>,
  ): RoutingTarget => ({
    id: p.id,
    name: p.name,
    kind: p.kind,
    tier: p.tier,
    status: p.status,
    competencies: p.competencies ?? {},
    models: p.models ?? [],
    defaultModel: p.default_model,
    apiEndpoint: p.api_endpoint,
    costPer1kInput: Number(p.cost_per_1k_input) || 0,
    costPer1kOutput: Number(p.cost_per_1k_output) || 0,
    timeoutMs: p.timeout_ms,
    config: p.config ?? {},
    circuit: circuitOverrides(p.config),
    health: {
      circuit: h?.circuit ?? 'closed',
      consecutiveFailures: h?.consecutive_failures ?? 0,
      openedAt: date(h?.opened_at),
      changedAt: date(h?.changed_at),
    },
    stats: st.get(p.id) ?? EMPTY_STATS,
    // An account the directory still lists but the database no longer has is left out.
    accounts: p.accounts.flatMap((a) => {
      const b = budgetOf(a.id);
      return b
        ? [
            {
              id: a.id,
              name: a.account_name,
              status: a.status,
              teamId: a.team_id ?? null,
              tokenLimit: Number(b.token_limit),
              tokenUsed: Number(b.token_used),
              tokenReserved: Number(b.token_reserved),
              openCredentials: () => (a.credentials ? opts.open(a.credentials, a.id) : {}),
            },
          ]
        : [];
    }),
  });

  async function uncached(): Promise<RoutingTarget[]> {
    const [rows, st] = await Promise.all([queryPrepared<FullRow>(pool, FULL_SNAPSHOT), stats()]);
    return rows.map((p) => {
      const budgets = new Map(p.accounts.map((a) => [a.id, a]));
      return target(p, p, (id) => budgets.get(id), st);
    });
  }

  async function withDirectory(directory: ProviderDirectory): Promise<RoutingTarget[]> {
    const [providers, live, st] = await Promise.all([
      directory.list(),
      queryPrepared<LiveRow>(pool, LIVE_STATE),
      stats(),
    ]);
    const health = new Map<string, Health>();
    const budgets = new Map<string, Budget>();
    for (const r of live) (r.kind === 'health' ? health : budgets).set(r.id, r);
    return providers.map((p) => target(p, health.get(p.id), (id) => budgets.get(id), st));
  }

  return {
    snapshot: () => (opts.directory ? withDirectory(opts.directory) : uncached()),

    async saveDecision(taskId, runKey, decision) {
      // A record for the portal, not state anything depends on: the commit need not wait for the
      // WAL flush (synchronous_commit off for this statement only).
      await queryPrepared(
        pool,
        sql`
        WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true) AS v)
        ${decisionUpdate({ taskId, runKey, decision }, sql`relaxed`)}`,
      );
    },
  };
}

/**
 * `UPDATE tasks SET routing = …` for a decision (joined to `from`, which makes it conditional on that
 * relation's rows): saving a new run key moves the previous run's decision into `previousRuns`;
 * saving the same run again replaces it. Ledger writes embed it (models/budgetStore.ts).
 */
export function decisionUpdate(r: DecisionRecord, from: SQL, alsoSet?: SQL): SQL {
  return sql`
    UPDATE tasks SET routing = ${nextRouting(sql`${JSON.stringify(r.decision)}::jsonb`, sql`${r.runKey}`)}${alsoSet ? sql`, ${alsoSet}` : sql``}
    FROM ${from}
    WHERE tasks.id = ${r.taskId}`;
}

/** The routing document a task gets for `decision` of run `runKey` (decisionUpdate's SET). */
export function nextRouting(decision: SQL, runKey: SQL): SQL {
  return sql`${decision} || jsonb_build_object('previousRuns',
      CASE WHEN tasks.routing IS NULL THEN '[]'::jsonb
           WHEN tasks.routing -> 'run' ->> 'key' = ${runKey} THEN coalesce(tasks.routing -> 'previousRuns', '[]'::jsonb)
           ELSE coalesce(tasks.routing -> 'previousRuns', '[]'::jsonb) || jsonb_build_array(tasks.routing - 'previousRuns')
      END)`;
}

/** A task's owner, status and stored routing decision (GET /api/tasks/:id/routing). */
export function createTaskRoutingReader(db: Db) {
  return async (
    taskId: string,
  ): Promise<{ userId: string; status: string; routing: Record<string, unknown> | null } | null> => {
    const r = await db.execute<{ user_id: string; status: string; routing: Record<string, unknown> | null }>(
      sql`SELECT user_id, status, routing FROM tasks WHERE id = ${taskId}`,
    );
    const row = r.rows[0];
    return row ? { userId: row.user_id, status: row.status, routing: row.routing } : null;
  };
}
