import { sql } from 'drizzle-orm';
import type { ProviderKind } from '../core/providers/connector.js';
import type { ProviderCandidate, ProviderDirectory } from '../core/tasks/ports.js';
import type { Db } from './db.js';

interface CandidateRow extends Record<string, unknown> {
  id: string;
  name: string;
  kind: ProviderKind;
  tier: 'primary' | 'secondary';
  api_endpoint: string | null;
  default_model: string | null;
  timeout_ms: number;
  config: Record<string, unknown>;
  competency: number | string | null;
  account_id: string;
  account_name: string;
  credentials: string | null;
}

/**
 * Active providers for a task type, each with its active account that has the most budget left.
 * `decrypt` opens an account's credential envelope (never logged, never returned by the API).
 */
export function createProviderDirectory(
  db: Db,
  decrypt: (envelope: string, accountId: string) => Record<string, unknown>,
): ProviderDirectory {
  return {
    async candidates(taskType, pinnedProviderId) {
      const r = await db.execute<CandidateRow>(sql`
        SELECT p.id, p.name, p.kind, p.tier, p.api_endpoint, p.default_model, p.timeout_ms, p.config,
               coalesce((p.competencies ->> ${taskType})::double precision, 0) AS competency,
               a.id AS account_id, a.account_name, a.credentials
        FROM ai_providers p
        JOIN LATERAL (
          SELECT id, account_name, credentials FROM provider_accounts a
          WHERE a.provider_id = p.id AND a.status = 'active' AND a.token_used + a.token_reserved < a.token_limit
          ORDER BY a.token_limit - a.token_used - a.token_reserved DESC, a.created_at
          LIMIT 1
        ) a ON true
        WHERE p.status = 'active'
          AND ${pinnedProviderId ? sql`p.id = ${pinnedProviderId}` : sql`coalesce((p.competencies ->> ${taskType})::double precision, 0) > 0`}
        ORDER BY (p.tier = 'primary') DESC, competency DESC, p.created_at`);
      return r.rows.map(
        (row): ProviderCandidate => ({
          providerId: row.id,
          name: row.name,
          kind: row.kind,
          tier: row.tier,
          apiEndpoint: row.api_endpoint,
          defaultModel: row.default_model,
          timeoutMs: row.timeout_ms,
          config: row.config ?? {},
          competency: Number(row.competency ?? 0),
          account: {
            id: row.account_id,
            name: row.account_name,
            credentials: row.credentials
              ? (decrypt(row.credentials, row.account_id) as { apiKey?: string })
              : {},
          },
        }),
      );
    },
  };
}

/** Whether a provider with this id exists (intake checks a pinned providerId). */
export function createProviderExists(db: Db): (id: string) => Promise<boolean> {
  return async (id) => {
    const r = await db.execute(sql`SELECT 1 FROM ai_providers WHERE id = ${id}`);
    return r.rows.length > 0;
  };
}
