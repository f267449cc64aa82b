import { randomUUID } from 'node:crypto';
import type { Actor } from '../actor.js';
import type { AuditSink } from '../audit/audit.js';
import { AppError, badRequest, conflict, forbidden, notFound } from '../errors.js';
import { allowedModels } from '../providers/providerService.js';
import { authorizeTeam, type TeamAction } from '../teams/authorization.js';
import { enqueueTerminalJobs, type ResultDelivererRegistry } from './deliverers.js';
import type {
  AssignmentRecord,
  IntakeFold,
  SqlExecutor,
  TaskJobs,
  TaskListQuery,
  TaskPatch,
  TaskStore,
  TeamMembership,
} from './ports.js';
import type { TaskTypeCatalogue } from './taskTypes.js';
import type {
  Priority,
  SubmitResult,
  SubmitTaskInput,
  TaskCommands,
  TaskRecord,
  TaskSource,
  TaskStatus,
} from './types.js';

/** A pinned provider as intake sees it. */
export interface PinnedProvider {
  name: string;
  models: string[];
  defaultModel: string | null;
}

const TITLE_MAX = 200;

/** A title from the first line of the prompt, when none was given. */
export function titleFrom(description: string): string {
  const line = description.trim().split(/\r?\n/, 1)[0]?.trim() ?? '';
  const flat = line.replace(/\s+/g, ' ');
  if (!flat) return 'Untitled task';
  return flat.length <= 80 ? flat : `${flat.slice(0, 79).trimEnd()}…`;
}

/** What spend control needs to price a task before it exists. */
type EstimateInput = Pick<TaskRecord, 'taskType' | 'description' | 'options' | 'providerId'>;
interface SpendEstimate {
  tokens: number;
  micros: number;
}

/**
 * The task use cases every adapter calls (API, chat commands, GitHub, inbound hooks). Intake writes
 * the task, its audit entry, its budget reservation and its queue job in one statement (or, when a
 * budget lacks room, a transaction that refuses or holds it); everything after that happens in
 * the worker (core/tasks/taskRunner.ts).
 */
export class TaskService implements TaskCommands {
  constructor(
    private readonly deps: {
      store: TaskStore;
      jobs: TaskJobs;
      taskTypes: TaskTypeCatalogue;
      deliverers: ResultDelivererRegistry;
      /** Audits changes, cancellations and deletions (intake's `task.create` is written with the task). */
      audit?: AuditSink;
      /** The default priority (admin setting `tasks.defaultPriority`). */
      defaultPriority?: () => Promise<Priority>;
      /**
       * Looks up a pinned provider at intake: it must exist, and a model asked for must be one it
       * offers (its model list or default), so a pin cannot send any model string on the admin's key.
       */
      findProvider?: (id: string) => Promise<PinnedProvider | null>;
      /** Team membership, for team tasks (without it every task is personal to its owner). */
      teams?: TeamMembership;
      /**
       * Spend control at intake (core/spend/intakeReservation.ts): reserves the task's estimated cost
       * against its budgets inside the intake transaction, or throws budget_exceeded (nothing written).
       */
      spend?: {
        /** Prices the task before the transaction opens (it may read prices and providers from the pool). */
        estimate(task: EstimateInput): Promise<SpendEstimate>;
        reserve(
          task: TaskRecord,
          ctx: { apiTokenId?: string | null },
          tx: SqlExecutor,
          estimate?: SpendEstimate,
        ): Promise<{ held?: boolean } | undefined>;
        /** What `reserve` would reserve, folded into intake's one statement. */
        planned(
          task: Pick<TaskRecord, 'id' | 'userId' | 'teamId' | 'webhookId' | 'origin'>,
          ctx: { apiTokenId?: string | null },
          estimate: SpendEstimate,
        ): IntakeFold['reserve'];
      };
      /** After intake committed a task held for approval (`awaiting_approval`): tells its approvers. */
      onHeld?: (task: TaskRecord) => Promise<void>;
      /** Settles a task's budget reservations with its real cost once it has ended (idempotent). */
      settleSpend?: (taskId: string) => Promise<void>;
    },
  ) {}

  /**
   * What submit checks before writing anything (the task type, the caller's right in the team, the
   * pinned provider and its model): POST /api/tasks/estimate answers the same errors as POST /api/tasks.
   */
  async checkSubmittable(
    input: Pick<SubmitTaskInput, 'userId' | 'teamId' | 'taskType' | 'providerId' | 'options'>,
    meta: { isAdmin?: boolean; teamChecked?: boolean } = {},
  ): Promise<void> {
    this.deps.taskTypes.require(input.taskType);
    if (input.teamId && !meta.teamChecked)
      await this.requireTeam(
        input.teamId,
        { userId: input.userId, isAdmin: meta.isAdmin ?? false },
        'tasks.create',
      );
    if (input.providerId && this.deps.findProvider) await this.checkPinned(input.providerId, input.options);
  }

  /**
   * `meta.teamChecked`: the adapter has established the team itself (a chat workspace attached to
   * the team); otherwise a `teamId` needs the caller's `tasks.create` right in that team.
   */
  async submit(
    input: SubmitTaskInput,
    meta: { ip?: string | null; isAdmin?: boolean; teamChecked?: boolean; apiTokenId?: string | null } = {},
  ): Promise<SubmitResult> {
    await this.checkSubmittable(input, meta);
    const priority =
      input.priority ?? (this.deps.defaultPriority ? await this.deps.defaultPriority() : 'normal');
    const title = (input.title?.trim() || titleFrom(input.description)).slice(0, TITLE_MAX);
    const jobId = randomUUID();
    const id = randomUUID();
    let held = false;
    // Estimated outside the intake transaction: a lookup from inside it would hold two connections.
    const estimate = await this.deps.spend?.estimate({
      taskType: input.taskType,
      description: input.description,
      options: input.options ?? {},
      providerId: input.providerId ?? null,
    });
    const draft = {
      id,
      userId: input.userId,
      teamId: input.teamId ?? null,
      webhookId: input.webhookId ?? null,
      origin: input.origin ?? null,
    };
    const ctx = { apiTokenId: meta.apiTokenId ?? null };
    // The usual intake is one statement (claim, task, audit, reservation, job); the transaction
    // below (inTx) runs only when a budget lacks room, to refuse or hold the task.
    const fold: IntakeFold = {
      job: await this.deps.jobs.prepareGenerate({ jobId, taskId: id, priority }),
      reserve: estimate && this.deps.spend?.planned(draft, ctx, estimate),
    };
    const out = await this.deps.store.insertQueued(
      {
        id,
        userId: input.userId,
        teamId: input.teamId ?? null,
        title,
        description: input.description,
        taskType: input.taskType,
        priority,
        source: input.source,
        providerId: input.providerId ?? null,
        options: input.options ?? {},
        callbackUrl: input.callbackUrl ?? null,
        webhookId: input.webhookId ?? null,
        origin: input.origin ?? null,
        regenerateContentId: input.regenerateContentId ?? null,
        jobId,
      },
      {
        dedupe: input.dedupe,
        audit: {
          actorId: input.userId,
          action: 'task.create',
          ip: meta.ip ?? null,
          details: { taskType: input.taskType, source: input.source, priority },
        },
        inTx: async (task, tx) => {
          const r = await this.deps.spend?.reserve(task, ctx, tx, estimate);
          // Held by an `approve` budget: no job until someone approves it (core/spend/approvals.ts).
          if (r?.held) {
            held = true;
            return;
          }
          await this.deps.jobs.enqueueGenerate({ jobId, taskId: task.id, priority: task.priority }, tx);
        },
        fold,
      },
    );
    if (out.duplicate) {
      const task = out.task ?? out.original;
      if (!task)
        throw new AppError(
          'conflict',
          'This delivery was already received, and the task it made no longer exists',
        );
      return { task, duplicate: true, ...(out.original ? { original: out.original } : {}) };
    }
    if (held) {
      const task: TaskRecord = { ...out.task, status: 'awaiting_approval' };
      await this.deps.onHeld?.(task);
      return { task, duplicate: false };
    }
    return { task: out.task, duplicate: false };
  }

  async list(
    actor: Actor,
    q: {
      status?: TaskStatus;
      taskType?: string;
      source?: TaskSource;
      page: number;
      limit: number;
      userId?: string;
      teamId?: string;
      all?: boolean;
    },
  ): Promise<{ items: TaskRecord[]; total: number }> {
    if ((q.all || q.userId) && !actor.isAdmin) throw forbidden('Only admins can list other users’ tasks');
    if (q.teamId) {
      await this.requireTeam(q.teamId, actor, 'tasks.read');
      return this.deps.store.list({
        ...this.filters(q),
        teamId: q.teamId,
        ...(q.userId ? { userId: q.userId } : {}),
      });
    }
    const query: TaskListQuery = {
      status: q.status,
      taskType: q.taskType,
      source: q.source,
      page: q.page,
      limit: q.limit,
    };
    if (q.userId) query.userId = q.userId;
    else if (!q.all) query.userId = actor.userId;
    return this.deps.store.list(query);
  }

  /** The task if the viewer may see it (its owner, its team's members, or an admin), else null. */
  async get(id: string, viewer: Actor): Promise<TaskRecord | null> {
    const task = await this.deps.store.get(id);
    if (!task) return null;
    if (task.userId === viewer.userId || viewer.isAdmin) return task;
    if (task.teamId && this.deps.teams && (await this.deps.teams.roleOf(task.teamId, viewer.userId)))
      return task;
    return null;
  }

  private filters(q: {
    status?: TaskStatus;
    taskType?: string;
    source?: TaskSource;
    page: number;
    limit: number;
  }) {
    return { status: q.status, taskType: q.taskType, source: q.source, page: q.page, limit: q.limit };
  }

  /** 404 (team) for outsiders, 403 for members without the right; site admins pass. */
  private async requireTeam(teamId: string, actor: Actor, action: TeamAction): Promise<void> {
    if (actor.isAdmin && !(await this.deps.teams?.exists(teamId))) throw notFound('Team');
    const teamRole = this.deps.teams ? await this.deps.teams.roleOf(teamId, actor.userId) : null;
    authorizeTeam({ teamRole, siteAdmin: actor.isAdmin }, action);
  }

  /** The viewer's most recent tasks, newest first. */
  async listRecent(userId: string, limit: number): Promise<TaskRecord[]> {
    return this.deps.store.recent(userId, limit);
  }

  /** Moves every task of one user (with its content and share links) to another (account linking). */
  async reassignUser(fromUserId: string, toUserId: string): Promise<number> {
    return this.deps.store.reassignUser(fromUserId, toUserId);
  }

  async getWithAssignments(
    id: string,
    actor: Actor,
  ): Promise<{ task: TaskRecord; assignments: AssignmentRecord[] }> {
    const task = await this.visible(id, actor, 'read');
    return { task, assignments: await this.deps.store.assignments(task.id) };
  }

  async update(id: string, patch: TaskPatch, actor: Actor): Promise<TaskRecord> {
    const before = await this.visible(id, actor);
    if (patch.taskType !== undefined) this.deps.taskTypes.require(patch.taskType);
    const clean: TaskPatch = { ...patch };
    if (clean.title !== undefined) clean.title = clean.title.trim().slice(0, TITLE_MAX);
    const out = await this.deps.store.updateQueued(before.id, clean, async (task, tx) => {
      if (patch.priority && patch.priority !== before.priority && task.jobId)
        await this.deps.jobs.reprioritize(task.jobId, patch.priority, tx);
    });
    if (out === null) throw notFound('Task');
    if (out === 'not_queued')
      throw conflict('Only a queued task can be changed; this one has already started or ended');
    await this.record(actor.userId, 'task.update', id, actor.ip, { fields: Object.keys(patch) });
    return out;
  }

  /** Cancels a waiting, queued or running task; not_found if the viewer may not see it, conflict if it has ended. */
  async cancel(id: string, viewer: Actor): Promise<TaskRecord> {
    const task = await this.visible(id, viewer);
    const out = await this.cancelTask(task.id);
    if (out === null) throw notFound('Task');
    if (out === 'finished')
      throw conflict(`The task has already ${task.status === 'cancelled' ? 'been cancelled' : 'finished'}`);
    await this.record(viewer.userId, 'task.cancel', id, viewer.ip);
    return out;
  }

  /** Deletes the task, cancelling it first if it is queued or running. */
  async remove(id: string, actor: Actor): Promise<void> {
    const task = await this.visible(id, actor);
    if (!TERMINAL.has(task.status)) await this.cancelTask(task.id);
    await this.deps.store.delete(task.id);
    await this.record(actor.userId, 'task.delete', id, actor.ip);
  }

  async status(id: string, actor: Actor) {
    const { task, assignments } = await this.getWithAssignments(id, actor);
    const last = assignments.at(-1);
    return {
      id: task.id,
      status: task.status,
      updatedAt: task.updatedAt,
      attempts: task.attempts,
      startedAt: task.startedAt,
      completedAt: task.completedAt,
      contentId: task.contentId,
      error: task.error,
      provider: last?.providerName ?? null,
      lastError: last?.status === 'failed' ? last.errorMessage : null,
    };
  }

  /** A pinned provider must exist and offer the model asked for (400 naming the allowed models). */
  private async checkPinned(providerId: string, options: SubmitTaskInput['options']): Promise<void> {
    const provider = await this.deps.findProvider!(providerId);
    if (!provider) {
      throw badRequest('Unknown provider', [
        { field: 'body.providerId', message: 'no provider has this id', code: 'not_found' },
      ]);
    }
    const model = options?.model;
    if (model === undefined) return;
    const allowed = allowedModels(provider);
    if (allowed.includes(model)) return;
    const choose = allowed.length
      ? `choose one of: ${allowed.join(', ')}`
      : 'it offers no choice of model, so leave the model out';
    throw badRequest(`Model "${model}" is not offered by the provider "${provider.name}"; ${choose}`, [
      {
        field: 'body.options.model',
        message: `not offered by the provider "${provider.name}"; ${choose}`,
        code: 'model_not_allowed',
        allowed,
      },
    ]);
  }

  /**
   * The task if the actor may see it; 404 otherwise. To change a team task someone else created,
   * the actor needs `tasks.manage` in its team (403 for other members).
   */
  private async visible(id: string, actor: Actor, intent: 'read' | 'change' = 'change'): Promise<TaskRecord> {
    const task = await this.get(id, actor);
    if (!task) throw notFound('Task');
    if (intent === 'change' && task.userId !== actor.userId && !actor.isAdmin && task.teamId)
      await this.requireTeam(task.teamId, actor, 'tasks.manage');
    return task;
  }

  /** Cancels by id, with no ownership check. */
  private async cancelTask(id: string): Promise<TaskRecord | 'finished' | null> {
    const out = await this.deps.store.cancel(id, async (task, tx) => {
      if (task.jobId) await this.deps.jobs.cancelGenerate(task.jobId, tx);
      await enqueueTerminalJobs(this.deps, task, 'cancelled', tx);
    });
    // A running attempt settles its cost afterwards; the budget job settles what is left then.
    if (out && out !== 'finished') await this.deps.settleSpend?.(id).catch(() => undefined);
    return out;
  }

  private async record(
    actorId: string,
    action: string,
    taskId: string,
    ip?: string | null,
    details?: Record<string, unknown>,
  ) {
    if (!this.deps.audit) return;
    await this.deps.audit.record({
      actorId,
      action,
      targetType: 'task',
      targetId: taskId,
      ip: ip ?? null,
      ...(details ? { details } : {}),
    });
  }
}

const TERMINAL = new Set<TaskStatus>(['completed', 'failed', 'cancelled']);
