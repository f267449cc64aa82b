import { AppError } from '../errors.js';
import { estimateInputTokens } from '../providers/tokens.js';
import type { SqlExecutor } from '../tasks/ports.js';
import type { TaskTypeCatalogue } from '../tasks/taskTypes.js';
import type { TaskRecord } from '../tasks/types.js';
import type { BudgetAction, BudgetScope, BudgetStore, IntakeScopes, OverBudget } from './ports.js';
import type { PriceBook } from './priceBook.js';
import { formatUsd } from './pricing.js';

/** Input tokens are estimated with OpenAI's tokenizer; other tokenizers count up to this much more. */
const INPUT_SAFETY = 1.5;
const FALLBACK_MAX_TOKENS = 1000;

/** The providers a task could run on (kind and the model it would get), for the intake estimate. */
/** What pricing a task needs: known before the task row exists. */
export type EstimateInput = Pick<TaskRecord, 'taskType' | 'description' | 'options' | 'providerId'>;

export type CandidateLookup = (task: EstimateInput) => Promise<Array<{ kind: string; model: string | null }>>;

export interface TaskEstimate {
  tokens: number;
  micros: number;
}

export interface TaskQuote {
  estimatedCostMicros: { min: number; max: number };
  estimatedTokens: number;
  thresholdMicros: number;
  exceedsThreshold: boolean;
  budgets: Array<{
    id: string;
    scope: BudgetScope;
    name: string | null;
    action: BudgetAction;
    remainingMicros: number | null;
    remainingTokens: number | null;
    wouldExceed: boolean;
  }>;
}

/** The task fields its budgets' scopes come from. */
export type ScopedTask = Pick<TaskRecord, 'id' | 'userId' | 'teamId' | 'webhookId' | 'origin'>;

/** What intake knows about where a task came from, beyond the task row. */
export interface IntakeContext {
  apiTokenId?: string | null;
}

/**
 * Intake's half of spend control: estimates a task's cost (its input with a safety margin plus the
 * output cap, at the dearest price among the providers it could run on) and reserves it against
 * every route-independent budget (team, user, chat workspace, API token, hook) in one statement
 * inside the intake transaction. A `block` budget without room refuses the task: 422
 * budget_exceeded naming the budget and when it resets; nothing is written. When only `approve`
 * budgets lack room, nothing is reserved and the task is held in `awaiting_approval`.
 */
export class IntakeReservation {
  constructor(
    private readonly deps: {
      budgets: BudgetStore;
      prices: PriceBook;
      taskTypes: TaskTypeCatalogue;
      candidates: CandidateLookup;
      /**
       * Holds a task that only `approve` budgets refuse (core/spend/approvals.ts), in the intake
       * transaction. Without it such a task is refused like one over a `block` budget.
       */
      hold?: (
        tx: SqlExecutor,
        task: TaskRecord,
        over: OverBudget[],
        est: TaskEstimate,
        apiTokenId: string | null,
      ) => Promise<unknown>;
    },
  ) {}

  async estimate(task: EstimateInput): Promise<TaskEstimate> {
    const type = this.deps.taskTypes.get(task.taskType);
    const output = Math.max(
      1,
      Math.floor(task.options.maxTokens ?? type?.defaultMaxTokens ?? FALLBACK_MAX_TOKENS),
    );
    const input = Math.ceil(
      estimateInputTokens({ system: type?.systemPrompt, prompt: task.description }) * INPUT_SAFETY,
    );
    const micros = await this.deps.prices.estimate(await this.deps.candidates(task), {
      inputTokens: input,
      outputTokens: output,
    });
    return { tokens: input + output, micros };
  }

  /**
   * The portal's "estimate before running" (POST /api/tasks/estimate): the cost range of a task not
   * submitted yet, and how it would sit with each budget it would be reserved against.
   * - max: what intake would reserve (input with the safety margin + the output cap, dearest candidate);
   * - min: the prompt alone (no margin, no output) on the cheapest candidate — no run costs less;
   * - a budget `wouldExceed` when it would refuse the task now (block/approve without room for max).
   */
  async quote(
    task: EstimateInput,
    scopes: Omit<IntakeScopes, 'taskId'>,
    thresholdMicros: number,
  ): Promise<TaskQuote> {
    const type = this.deps.taskTypes.get(task.taskType);
    const candidates = await this.deps.candidates(task);
    const est = await this.estimate(task);
    const promptTokens = estimateInputTokens({ system: type?.systemPrompt, prompt: task.description });
    let min = candidates.length ? Number.POSITIVE_INFINITY : 0;
    for (const c of candidates)
      min = Math.min(
        min,
        await this.deps.prices.cost(c.kind, c.model, { inputTokens: promptTokens, outputTokens: 0 }),
      );
    const budgets = (await this.deps.budgets.applicable(scopes)).map((b) => {
      const remainingMicros =
        b.limitMicros === null ? null : Math.max(0, b.limitMicros - b.spentMicros - b.reservedMicros);
      const remainingTokens =
        b.limitTokens === null ? null : Math.max(0, b.limitTokens - b.spentTokens - b.reservedTokens);
      const wouldExceed =
        b.action !== 'notify' &&
        ((remainingMicros !== null && est.micros > remainingMicros) ||
          (remainingTokens !== null && est.tokens > remainingTokens));
      return {
        id: b.id,
        scope: b.scope,
        name: b.name,
        action: b.action,
        remainingMicros,
        remainingTokens,
        wouldExceed,
      };
    });
    return {
      estimatedCostMicros: { min: Math.min(min, est.micros), max: est.micros },
      estimatedTokens: est.tokens,
      thresholdMicros,
      exceedsThreshold: est.micros > thresholdMicros,
      budgets,
    };
  }

  /**
   * What `reserve` would reserve, for intake to fold into its one statement (models/intakeStatement.ts):
   * the same budgets and amounts, refused by the same `block` and `approve` budgets. When one lacks
   * room that statement writes nothing and intake calls `reserve` in its transaction instead.
   */
  planned(task: ScopedTask, ctx: IntakeContext, est: TaskEstimate) {
    return { scopes: intakeScopes(task, ctx), micros: est.micros, tokens: est.tokens };
  }

  async reserve(
    task: TaskRecord,
    ctx: IntakeContext,
    tx: SqlExecutor,
    estimate?: TaskEstimate,
  ): Promise<TaskEstimate & { held: boolean }> {
    const est = estimate ?? (await this.estimate(task));
    const over = await this.deps.budgets.reserve(tx, intakeScopes(task, ctx), est.micros, est.tokens);
    if (!over.length) return { ...est, held: false };
    // A `block` budget refuses; when only `approve` budgets lack room the task waits for approval.
    const blocking = over.find((b) => b.action === 'block');
    if (blocking || !this.deps.hold) throw budgetExceeded(blocking ?? (over[0] as OverBudget), est);
    await this.deps.hold(tx, task, over, est, ctx.apiTokenId ?? null);
    return { ...est, held: true };
  }
}

/** The route-independent budgets' scopes of a task (team, user, hook, API token, chat workspace). */
export function intakeScopes(task: ScopedTask, ctx: IntakeContext): IntakeScopes {
  const origin = task.origin ?? {};
  const platform = typeof origin.platform === 'string' ? origin.platform : null;
  const workspace =
    typeof origin.teamId === 'string'
      ? origin.teamId
      : typeof origin.guildId === 'string'
        ? origin.guildId
        : typeof origin.chatId === 'string' || typeof origin.chatId === 'number'
          ? String(origin.chatId)
          : null;
  return {
    taskId: task.id,
    userId: task.userId,
    teamId: task.teamId ?? null,
    webhookId: task.webhookId ?? null,
    apiTokenId: ctx.apiTokenId ?? null,
    chatWorkspace: platform && workspace ? { platform, externalId: workspace } : null,
  };
}

export function budgetExceeded(b: OverBudget, est: TaskEstimate): AppError {
  const label = b.name ? `"${b.name}"` : `the ${b.scope.replace('_', ' ')} budget`;
  const limit = b.limitMicros !== null ? formatUsd(b.limitMicros) : `${b.limitTokens} tokens`;
  const when = b.resetsAt ? `it resets at ${b.resetsAt.toISOString()}` : 'it does not reset';
  return new AppError(
    'budget_exceeded',
    `This task (estimated ${formatUsd(est.micros)}) would exceed ${label} (${limit}); ${when}`,
    {
      details: {
        budgetId: b.id,
        scope: b.scope,
        name: b.name,
        action: b.action,
        resetsAt: b.resetsAt?.toISOString() ?? null,
        estimatedCostMicros: est.micros,
      },
    },
  );
}
