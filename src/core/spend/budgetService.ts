import type { Actor } from '../actor.js';
import { type Clock, systemClock } from '../clock.js';
import { Coalescer } from '../coalescer.js';
import { badRequest, forbidden, notFound } from '../errors.js';
import type { TeamMembership } from '../tasks/ports.js';
import { canTeam } from '../teams/authorization.js';
import { DEAD_BUDGET_LEASE_SECONDS } from './gatewayLeases.js';
import type {
  BudgetFields,
  BudgetRecord,
  BudgetScope,
  BudgetStore,
  CrossedBudget,
  LeasedCall,
  ScopeOwner,
} from './ports.js';

export interface Forecast {
  windowDays: number;
  burnRatePerDayMicros: number;
  /** When the limit is reached at this rate (null: no money limit, no spend, or not before the reset). */
  runsOutAt: string | null;
  projectedPeriodSpendMicros: number;
}

const DAY_MS = 86_400_000;

/**
 * Budget use cases. Who may do what (API.md § Spend):
 * - site admins: any budget, any scope;
 * - team admins (owner/admin, `budgets.manage`): budgets whose scope belongs to their team (the
 *   team itself, its chat workspaces, team tokens, team hooks, team provider accounts);
 * - everyone: read the budgets on themselves (scope user) and on their personal tokens and hooks.
 * A budget the caller may not read answers 404; one they may read but not change answers 403.
 */
export class BudgetService {
  constructor(
    private readonly deps: {
      store: BudgetStore;
      teams: TeamMembership;
      /** Delivers alerts for thresholds crossed by a settlement (notifications, Slack, webhook). */
      alert?: (crossed: CrossedBudget[]) => Promise<void>;
      now?: Clock;
    },
  ) {}

  private now(): Date {
    return (this.deps.now ?? systemClock)();
  }

  private async isTeamAdmin(teamId: string | null, actor: Actor): Promise<boolean> {
    if (!teamId) return false;
    const role = await this.deps.teams.roleOf(teamId, actor.userId);
    return canTeam({ teamRole: role, siteAdmin: false }, 'budgets.manage');
  }

  private async canManage(owner: ScopeOwner, actor: Actor): Promise<boolean> {
    return actor.isAdmin || (await this.isTeamAdmin(owner.teamId, actor));
  }

  private async canRead(b: BudgetRecord, actor: Actor): Promise<boolean> {
    if (await this.canManage({ teamId: b.teamId, userId: b.ownerUserId }, actor)) return true;
    return b.ownerUserId === actor.userId || (b.scope === 'user' && b.scopeId === actor.userId);
  }

  async create(
    input: BudgetFields & { scope: BudgetScope; scopeId: string },
    actor: Actor,
  ): Promise<BudgetRecord> {
    const owner = await this.deps.store.owner(input.scope, input.scopeId);
    if (!owner) throw notFound(scopeLabel(input.scope));
    if (!(await this.canManage(owner, actor))) {
      // Their own things exist for them: say no; other people's and other teams' do not.
      const own =
        owner.userId === actor.userId ||
        (owner.teamId && (await this.deps.teams.roleOf(owner.teamId, actor.userId)));
      if (own) throw forbidden('Only a site admin or a team admin may set budgets here');
      throw notFound(scopeLabel(input.scope));
    }
    return this.deps.store.create({ ...input, ...owner }, actor.userId);
  }

  async list(actor: Actor, opts: { all?: boolean } = {}): Promise<BudgetRecord[]> {
    if (opts.all && !actor.isAdmin) throw forbidden('Only a site admin may list every budget');
    const teamIds: string[] = [];
    for (const id of await this.deps.teams.teamIdsOf(actor.userId))
      if (await this.isTeamAdmin(id, actor)) teamIds.push(id);
    return this.deps.store.list({ all: actor.isAdmin, teamIds, userId: actor.userId });
  }

  async get(id: string, actor: Actor): Promise<BudgetRecord> {
    const b = await this.deps.store.get(id);
    if (!b || !(await this.canRead(b, actor))) throw notFound('Budget');
    return b;
  }

  private async writable(id: string, actor: Actor): Promise<BudgetRecord> {
    const b = await this.get(id, actor);
    if (!(await this.canManage({ teamId: b.teamId, userId: b.ownerUserId }, actor)))
      throw forbidden('Only a site admin or a team admin may change this budget');
    return b;
  }

  async update(id: string, patch: Partial<BudgetFields>, actor: Actor): Promise<BudgetRecord> {
    const before = await this.writable(id, actor);
    const limitMicros = patch.limitMicros === undefined ? before.limitMicros : patch.limitMicros;
    const limitTokens = patch.limitTokens === undefined ? before.limitTokens : patch.limitTokens;
    if (
      limitMicros === null &&
      limitTokens === null &&
      before.action !== 'notify' &&
      patch.action !== 'notify'
    )
      throw badRequest('A budget needs limitMicros or limitTokens');
    const out = await this.deps.store.update(id, patch);
    if (!out) throw notFound('Budget');
    return out;
  }

  async remove(id: string, actor: Actor): Promise<void> {
    await this.writable(id, actor);
    await this.deps.store.delete(id);
  }

  /**
   * Burn rate over the trailing window (settled spend ÷ days), the date the money limit is reached
   * at that rate from what is spent and reserved now, and the period's projected spend.
   */
  async forecast(id: string, actor: Actor, windowDays = 7): Promise<Forecast> {
    const b = await this.get(id, actor);
    const now = this.now();
    const since = new Date(now.getTime() - windowDays * DAY_MS);
    const inWindow = await this.deps.store.spentSince(b.id, since);
    const rate = Math.round(inWindow / windowDays);
    const used = b.spentMicros + b.reservedMicros;
    let runsOutAt: string | null = null;
    if (b.limitMicros !== null && rate > 0) {
      const left = Math.max(0, b.limitMicros - used);
      const at = new Date(now.getTime() + (left / rate) * DAY_MS);
      if (!b.resetsAt || at < b.resetsAt) runsOutAt = at.toISOString();
    }
    const daysLeft = b.resetsAt ? Math.max(0, (b.resetsAt.getTime() - now.getTime()) / DAY_MS) : 0;
    return {
      windowDays,
      burnRatePerDayMicros: rate,
      runsOutAt,
      projectedPeriodSpendMicros: b.spentMicros + Math.round(rate * daysLeft),
    };
  }

  /**
   * Settles a task's reservations (idempotent) and sends the alerts it triggers. Tasks that finish
   * while a settlement is on its way are settled together in the next statement (a worker finishing
   * a batch of tasks settles them in one round trip).
   */
  settleTask(taskId: string): Promise<void> {
    return this.settling.push(taskId);
  }

  private readonly settling = new Coalescer<string>((ids) => this.settleTasks(ids), { max: 100 });

  /** Settles many tasks' reservations in one statement (the gateway, per recorded batch). */
  async settleTasks(taskIds: string[]): Promise<void> {
    const crossed = await this.deps.store.settleMany(taskIds);
    if (crossed.length) await this.deps.alert?.(crossed);
  }

  /** Settles gateway calls served from budget leases (once each) and sends the alerts they trigger. */
  async settleLeased(processId: string, calls: LeasedCall[]): Promise<void> {
    const crossed = await this.deps.store.settleLeased(processId, calls);
    if (crossed.length) await this.deps.alert?.(crossed);
  }

  /** The budget job's sweep: settles ended tasks left unsettled; returns how many budgets alerted. */
  async settleEnded(): Promise<number> {
    // Gateway processes that died holding budget leases (their heartbeat is stale): given back first.
    await this.deps.store.releaseDeadLeases(DEAD_BUDGET_LEASE_SECONDS);
    const crossed = await this.deps.store.settleEnded();
    if (crossed.length) await this.deps.alert?.(crossed);
    return crossed.length;
  }
}

function scopeLabel(scope: BudgetScope): string {
  const s = scope.replace('_', ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}
