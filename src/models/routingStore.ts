import { type SQL, sql } from 'drizzle-orm';
import type { ProviderKind } from '../core/providers/connector.js';
import type { DecisionRecord, RoutingStore, RoutingTarget } from '../core/routing/ports.js';
import type { CircuitSettings, CircuitState, RoutingStats } from '../core/routing/types.js';
import type { Db } from './db.js';
import { poolOf, queryPrepared } from './preparedStatements.js';
import { FAILURE_CODES_SQL } from './providerHealthStore.js';

interface ProviderRow extends Record<string, unknown> {
  id: string;
  name: string;
  kind: ProviderKind;
  tier: 'primary' | 'secondary';
  status: 'active' | 'disabled';
  competencies: Record<string, number> | null;
  models: string[] | null;
  default_model: string | null;
  api_endpoint: string | null;
  cost_per_1k_input: number | string;
  cost_per_1k_output: number | string;
  timeout_ms: number;
  config: Record<string, unknown> | null;
  circuit: CircuitState | null;
  consecutive_failures: number | null;
  opened_at: Date | string | null;
  changed_at: Date | string | null;
  /** The provider's accounts as JSON, oldest first. */
  accounts: AccountRow[];
}

interface AccountRow {
  id: string;
  account_name: string;
  status: 'active' | 'disabled';
  token_limit: string | number;
  token_used: string | number;
  token_reserved: string | number;
  credentials: string | null;
}

interface StatsRow extends Record<string, unknown> {
  provider_id: string;
  in_flight: number | string;
  p50: number | string | null;
  samples: number | string;
  failures: number | string;
}

export type CredentialOpener = (envelope: string, accountId: string) => Record<string, unknown>;

const date = (v: Date | string | null | undefined) => (v ? new Date(v) : null);
const EMPTY_STATS: RoutingStats = { inFlight: 0, p50LatencyMs: null, errorRate: null, samples: 0 };

/**
 * Recent statistics per provider from task_assignments: attempts in flight, p50 latency of recent
 * successes, and the share of recent attempts that failed for provider-side reasons.
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

/**
 * The router's view of the providers. Providers, accounts (budgets) and circuits are read fresh for
 * every decision; the statistics (load, latency, error rate) are cached for `statsTtlMs`, since
 * they are aggregates and a decision per task would otherwise scan recent attempts each time.
 */
export function createRoutingStore(
  db: Db,
  opts: { open: CredentialOpener; statsWindowSeconds: number; statsTtlMs?: number },
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

  return {
    async snapshot() {
      // Providers with their circuit and their accounts in one query.
      const [providers, st] = await Promise.all([
        queryPrepared<ProviderRow>(
          pool,
          sql`
          SELECT p.id, p.name, p.kind, p.tier, p.status, p.competencies, p.models, p.default_model, p.api_endpoint,
                 p.cost_per_1k_input, p.cost_per_1k_output, p.timeout_ms, p.config,
                 h.circuit, h.consecutive_failures, h.opened_at, h.updated_at AS changed_at,
                 coalesce((
                   SELECT json_agg(json_build_object(
                            'id', a.id, 'account_name', a.account_name, 'status', a.status, 'token_limit', a.token_limit,
                            'token_used', a.token_used, 'token_reserved', a.token_reserved, 'credentials', a.credentials)
                          ORDER BY a.created_at, a.id)
                   FROM provider_accounts a WHERE a.provider_id = p.id), '[]'::json) AS accounts
          FROM ai_providers p LEFT JOIN provider_health h ON h.provider_id = p.id
          ORDER BY p.created_at, p.id`,
        ),
        stats(),
      ]);
      return providers.map(
        (p): RoutingTarget => ({
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
            circuit: p.circuit ?? 'closed',
            consecutiveFailures: p.consecutive_failures ?? 0,
            openedAt: date(p.opened_at),
            changedAt: date(p.changed_at),
          },
          stats: st.get(p.id) ?? EMPTY_STATS,
          accounts: p.accounts.map((a) => ({
            id: a.id,
            name: a.account_name,
            status: a.status,
            tokenLimit: Number(a.token_limit),
            tokenUsed: Number(a.token_used),
            tokenReserved: Number(a.token_reserved),
            openCredentials: () => (a.credentials ? opts.open(a.credentials, a.id) : {}),
          })),
        }),
      );
    },

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
export function decisionUpdate(r: DecisionRecord, from: SQL): SQL {
  return sql`
    UPDATE tasks SET routing = ${JSON.stringify(r.decision)}::jsonb || jsonb_build_object('previousRuns',
      CASE WHEN routing IS NULL THEN '[]'::jsonb
           WHEN routing -> 'run' ->> 'key' = ${r.runKey} THEN coalesce(routing -> 'previousRuns', '[]'::jsonb)
           ELSE coalesce(routing -> 'previousRuns', '[]'::jsonb) || jsonb_build_array(routing - 'previousRuns')
      END)
    FROM ${from}
    WHERE tasks.id = ${r.taskId}`;
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
