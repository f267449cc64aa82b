import type { Actor } from '../actor.js';
import { badRequest, forbidden, notFound } from '../errors.js';
import type { TeamMembership } from '../tasks/ports.js';
import { authorizeTeam } from '../teams/authorization.js';
import type { FailureQuery, FailureRow } from './failureReport.js';

export const REPORT_GROUP_BYS = ['day', 'user', 'team', 'provider', 'taskType', 'source'] as const;
export type ReportGroupBy = (typeof REPORT_GROUP_BYS)[number];

/** The longest range one report covers. */
export const MAX_REPORT_DAYS = 366;

export interface UsageRow {
  key: string;
  label: string;
  tasks: number;
  completed: number;
  failed: number;
  tokens: number;
  /** Integer micro-dollars (see models/reportStore.ts COST_MICROS for where it comes from). */
  costMicros: number;
  p50LatencyMs: number | null;
  p95LatencyMs: number | null;
}

export interface UsageQuery {
  from: Date;
  to: Date;
  groupBy: ReportGroupBy;
  /** Only this team's tasks; unset = every task (site admins). */
  teamId?: string;
}

export interface ReportStore {
  usage(q: UsageQuery): Promise<UsageRow[]>;
  /** Failed attempts of the range by error code, most attempts first (see failureReport.ts). */
  failures(q: FailureQuery): Promise<FailureRow[]>;
}

export const CSV_COLUMNS = [
  'key',
  'label',
  'tasks',
  'completed',
  'failed',
  'tokens',
  'costMicros',
  'p50LatencyMs',
  'p95LatencyMs',
] as const satisfies ReadonlyArray<keyof UsageRow>;

/** One CSV field: quoted when it holds a separator, a quote or a line break; formula starts defused. */
export function csvField(v: string | number | null): string {
  if (v === null) return '';
  let s = String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const csvLine = (values: Array<string | number | null>) => `${values.map(csvField).join(',')}\r\n`;

function checkRange(q: { from: Date; to: Date }): void {
  if (!(q.from < q.to)) throw badRequest('`from` must be before `to`');
  if (q.to.getTime() - q.from.getTime() > MAX_REPORT_DAYS * 86_400_000)
    throw badRequest(`A report covers at most ${MAX_REPORT_DAYS} days`);
}

/**
 * Usage and cost reports over tasks. Site admins see everything (optionally one team); a team's
 * admins see their team (`teamId`, team matrix `reports.read`); members 403, outsiders 404; without
 * a `teamId` anyone but a site admin gets 403.
 */
export class ReportService {
  constructor(private readonly deps: { store: ReportStore; teams?: TeamMembership }) {}

  async usage(viewer: Actor, q: UsageQuery): Promise<UsageRow[]> {
    checkRange(q);
    await this.authorize(viewer, q.teamId);
    return this.deps.store.usage(q);
  }

  /** Failure reasons over the range: who may see them is who may see the usage report. */
  async failures(viewer: Actor, q: FailureQuery): Promise<FailureRow[]> {
    checkRange(q);
    await this.authorize(viewer, q.teamId);
    return this.deps.store.failures(q);
  }

  async authorize(viewer: Actor, teamId: string | undefined): Promise<void> {
    if (viewer.isAdmin) {
      // A site admin passes the role check, but not for a team that is not there (404, not a 500 later).
      if (teamId && this.deps.teams && !(await this.deps.teams.exists(teamId))) throw notFound('Team');
      return;
    }
    if (!teamId)
      throw forbidden('Only site admins see every team’s usage: pass the `teamId` of a team you administer');
    const teamRole = this.deps.teams ? await this.deps.teams.roleOf(teamId, viewer.userId) : null;
    authorizeTeam({ teamRole, siteAdmin: false }, 'reports.read');
  }
}
