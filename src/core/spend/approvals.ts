import type { AuditSink } from '../audit/audit.js';
import { AppError, forbidden, notFound } from '../errors.js';
import { enqueueTerminalJobs, type ResultDelivererRegistry } from '../tasks/deliverers.js';
import type { SqlExecutor, TaskJobs, TaskStore, TeamMembership } from '../tasks/ports.js';
import type { TaskRecord } from '../tasks/types.js';
import { budgetExceeded, intakeScopes } from './intakeReservation.js';
import type { ApprovalRecord, ApprovalStore, BudgetStore, HeldBy, OverBudget } from './ports.js';
import { formatUsd } from './pricing.js';

/** Who decides: the task's owner, an owner/admin of its team, or a site admin. */
export interface Approver {
  userId: string;
  isAdmin?: boolean;
  ip?: string | null;
}

/** The stable error codes a held task ends with (in `tasks.error`, before the explanation). */
export const APPROVAL_REJECTED = 'approval_rejected';
export const APPROVAL_EXPIRED = 'approval_expired';

/** At most this many expired tasks are ended per run of the expiry job (the next run takes the rest). */
const EXPIRE_BATCH = 500;

/**
 * The `approve` budget action (issue 14). A task that would pass an `approve` budget (and no
 * `block` budget) is held at intake: status `awaiting_approval`, no queue job, nothing reserved.
 * - approve: reserves its estimate on its budgets accepting the overspend of `approve` budgets
 *   (a `block` budget without room still refuses: 422), sets it queued and enqueues its job — in
 *   ONE transaction guarded by the status, so a second approval gets 409 and no second job;
 * - reject: ends it `cancelled` with error `approval_rejected: …`;
 * - expiry (`APPROVAL_TTL_MINUTES` after intake): the periodic job ends it `failed` with error
 *   `approval_expired: …`, once.
 * Approvers (team owners/admins for a team task, else the owner) get a portal notification.
 */
export class TaskApprovals {
  constructor(
    private readonly deps: {
      store: ApprovalStore;
      budgets: BudgetStore;
      tasks: Pick<TaskStore, 'get'>;
      jobs: TaskJobs;
      deliverers: ResultDelivererRegistry;
      teams: TeamMembership;
      ttlMinutes: number;
      audit?: AuditSink;
      notify?: (userIds: string[], kind: string, payload: Record<string, unknown>) => Promise<void>;
    },
  ) {}

  /** Intake, inside its transaction: holds the task for the `approve` budgets it would pass. */
  async hold(
    tx: SqlExecutor,
    task: TaskRecord,
    over: OverBudget[],
    est: { micros: number; tokens: number },
    apiTokenId: string | null,
  ): Promise<ApprovalRecord> {
    const budgets: HeldBy[] = over.map((b) => ({
      id: b.id,
      scope: b.scope,
      name: b.name,
      limitMicros: b.limitMicros,
      limitTokens: b.limitTokens,
      resetsAt: b.resetsAt?.toISOString() ?? null,
    }));
    return this.deps.store.hold(tx, task.id, {
      budgets,
      estimatedMicros: est.micros,
      estimatedTokens: est.tokens,
      apiTokenId,
      ttlMinutes: this.deps.ttlMinutes,
    });
  }

  /** After intake committed: tells the approvers (portal notifications). Never throws. */
  async notifyHeld(task: TaskRecord): Promise<void> {
    if (!this.deps.notify) return;
    try {
      const approval = await this.deps.store.get(task.id);
      if (!approval) return;
      const ids = await this.deps.store.approvers(task);
      await this.deps.notify(ids, 'task_approval', {
        taskId: task.id,
        title: task.title,
        teamId: task.teamId,
        requestedBy: task.userId,
        estimatedCostMicros: approval.estimatedMicros,
        budgets: approval.budgets,
        expiresAt: approval.expiresAt.toISOString(),
      });
    } catch {
      // A notification is a courtesy: the task waits (and shows in the portal) either way.
    }
  }

  async get(taskId: string): Promise<ApprovalRecord | null> {
    return this.deps.store.get(taskId);
  }

  /** A one-paragraph explanation for chat: which budget, the estimate, who may approve, until when. */
  async describe(taskId: string): Promise<string | null> {
    const a = await this.deps.store.get(taskId);
    if (!a) return null;
    return describeHold(a);
  }

  async approve(id: string, actor: Approver): Promise<TaskRecord> {
    const task = await this.authorize(id, actor);
    const out = await this.deps.store.decide(
      task.id,
      { decision: 'approved', by: actor.userId },
      async (t, approval, tx) => {
        const est = { micros: approval.estimatedMicros, tokens: approval.estimatedTokens };
        const over = await this.deps.budgets.reserve(
          tx,
          intakeScopes(t, { apiTokenId: approval.apiTokenId }),
          est.micros,
          est.tokens,
          { approved: true },
        );
        // A `block` budget without room refuses even an approved task (rolled back: it keeps waiting).
        if (over.length) throw budgetExceeded(over[0] as OverBudget, est);
        if (!t.jobId) throw new Error('A held task has no job id');
        await this.deps.jobs.enqueueGenerate({ jobId: t.jobId, taskId: t.id, priority: t.priority }, tx);
      },
    );
    const decided = this.outcome(out);
    await this.record(actor, 'task.approve', id, {
      estimatedCostMicros: decided.approval.estimatedMicros,
      // The overspend accepted: the approve budgets this task passes.
      budgets: decided.approval.budgets.map((b) => ({ id: b.id, scope: b.scope, name: b.name })),
    });
    return decided.task;
  }

  async reject(id: string, actor: Approver): Promise<TaskRecord> {
    const task = await this.authorize(id, actor);
    const out = await this.deps.store.decide(
      task.id,
      {
        decision: 'rejected',
        by: actor.userId,
        error: `${APPROVAL_REJECTED}: the spend was not approved`,
      },
      async (t, _approval, tx) => {
        await enqueueTerminalJobs(this.deps, t, 'cancelled', tx);
      },
    );
    const decided = this.outcome(out);
    await this.record(actor, 'task.reject', id);
    return decided.task;
  }

  /** Ends every waiting task whose approval expired (the periodic job); returns how many. */
  async expire(): Promise<number> {
    const ended = await this.deps.store.expireDue(
      EXPIRE_BATCH,
      `${APPROVAL_EXPIRED}: nobody approved the spend within ${this.deps.ttlMinutes} minutes`,
      async (t, tx) => {
        await enqueueTerminalJobs(this.deps, t, 'failed', tx);
      },
    );
    return ended.length;
  }

  /**
   * The task if the actor may decide on it: its owner, an owner/admin of its team, a site admin.
   * A team member who may see it gets 403; anyone else 404 (its existence does not leak).
   */
  private async authorize(id: string, actor: Approver): Promise<TaskRecord> {
    const task = await this.deps.tasks.get(id);
    if (!task) throw notFound('Task');
    if (actor.isAdmin || task.userId === actor.userId) return task;
    const role = task.teamId ? await this.deps.teams.roleOf(task.teamId, actor.userId) : null;
    if (!role) throw notFound('Task');
    if (role === 'member') throw forbidden('Only the task’s owner or a team owner or admin can decide on it');
    return task;
  }

  private outcome(out: { task: TaskRecord; approval: ApprovalRecord } | 'not_waiting' | null): {
    task: TaskRecord;
    approval: ApprovalRecord;
  } {
    if (out === null) throw notFound('Task');
    if (out === 'not_waiting')
      throw new AppError(
        'not_awaiting_approval',
        'This task is not awaiting approval (it was already approved, rejected, cancelled or expired)',
      );
    return out;
  }

  private async record(actor: Approver, action: string, taskId: string, details?: Record<string, unknown>) {
    await this.deps.audit?.record({
      actorId: actor.userId,
      action,
      targetType: 'task',
      targetId: taskId,
      ip: actor.ip ?? null,
      ...(details ? { details } : {}),
    });
  }
}

/** "would exceed "Team monthly" ($1.00 limit; resets …); estimated $0.02; expires …" */
export function describeHold(a: ApprovalRecord): string {
  const names = a.budgets.map((b) => {
    const label = b.name ? `“${b.name}”` : `the ${b.scope.replace('_', ' ')} budget`;
    const limit = b.limitMicros !== null ? formatUsd(b.limitMicros) : `${b.limitTokens} tokens`;
    return `${label} (limit ${limit}${b.resetsAt ? `, resets ${b.resetsAt.slice(0, 16).replace('T', ' ')} UTC` : ''})`;
  });
  return `it would exceed ${names.join(' and ')}; estimated ${formatUsd(a.estimatedMicros)}. The task’s owner or a team admin can approve or reject it until ${a.expiresAt.toISOString().slice(0, 16).replace('T', ' ')} UTC.`;
}
