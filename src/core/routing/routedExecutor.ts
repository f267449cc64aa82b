import { randomUUID } from 'node:crypto';
import { type Clock, systemClock } from '../clock.js';
import { ProviderAborted, type ProviderError, ProviderRejected, ProviderUnavailable } from '../errors.js';
import type { Log } from '../log.js';
import { classifyProviderError } from '../providers/classify.js';
import type { Connector, ConnectorSettings, GenerateResult, ProviderKind } from '../providers/connector.js';
import { allowedModels } from '../providers/providerService.js';
import { estimateInputTokens } from '../providers/tokens.js';
import type { ExecutionContext, ExecutionOutcome, TaskExecutor } from '../tasks/executor.js';
import type { TaskTypeCatalogue } from '../tasks/taskTypes.js';
import type { TaskRecord } from '../tasks/types.js';
import {
  type Attempt,
  type AttemptOptions,
  type AttemptResult,
  type CallTiming,
  newStep,
  type Reservation,
  type Route,
  succeededAttempt,
  successOutcome,
  timeToFirstToken,
  type Usage,
  usageOf,
} from './attempt.js';
import { circuitSettingsFor } from './circuit.js';
import { timeLeftMs } from './deadlines.js';
import { type ChainStep, decisionDocument, noProviderError } from './decision.js';
import type {
  BudgetLedger,
  DecisionRecord,
  HealthRecorder,
  RoutingStore,
  RoutingTarget,
  TargetAccount,
} from './ports.js';
import { planRoute } from './router.js';
import type { CandidateEvaluation, RoutePlan, RoutingSettings } from './types.js';

export { type ChainStep, decisionDocument } from './decision.js';

const FALLBACK_MAX_TOKENS = 1000;
const HEALTHY_WRITE_EVERY_MS = 5_000;

/** Hooks for benchmarks and metrics; never needed for correctness. */
export interface ExecutorInstrumentation {
  /** The routing decision took `ms` (release, snapshot and plan; it is stored with the reservation). */
  onDecision?(taskId: string, ms: number): void;
  /** The connector is about to send the request's first byte. */
  onRequestStart?(taskId: string): void;
  /** A provider call ended (metrics: latency, errors, tokens, cost). */
  onAttempt?(a: ProviderAttempt): void;
}

export interface ProviderAttempt {
  provider: string;
  outcome: 'succeeded' | 'failed' | 'aborted';
  errorCode?: string;
  latencyMs: number;
  /** Request sent → first token (a succeeded call; the whole answer's latency when it came in one piece). */
  ttftMs?: number;
  tokens?: { input: number; output: number };
  /** USD, from the provider's cost per 1k input/output tokens. */
  costUsd?: number;
}

/**
 * The router as a TaskExecutor: plans the route (core/routing/router.ts) from a fresh snapshot (one
 * per batch of jobs the worker claimed together), records the decision on the task, then walks the chain:
 *
 * - reserve the estimate on the candidate's best account and open the attempt, in one statement
 *   (another worker may have taken the room meanwhile: then the next account, then the next provider);
 * - an open circuit past its cool-down is called only by the worker that claims the half-open probe;
 * - call the connector with the output cap that the reservation assumed;
 * - success → settle to the real usage, storing the answer on the attempt in the same statement (the
 *   checkpoint below), close the circuit, return the text with its provenance;
 * - rate limit, 5xx, timeout, connection failure, cut stream — and provider-side configuration
 *   failures (401/403/404, misconfigured, no connector), which another provider does not share — →
 *   release the reservation, count the failure on the provider's circuit, try the next candidate at
 *   once (no sleeping on Retry-After; the job's own retry backoff comes after a fully failed run);
 * - a refusal or an invalid request → release and fail fast: another provider would get the same request;
 * - at most `maxAttemptsPerRun` calls per run.
 *
 * On a re-run, before planning, reservations that an earlier run of this task left unsettled (its worker died)
 * are released, so a re-run never double-counts; and if an earlier run's call succeeded and was settled
 * but the task was never completed (its worker died in between), that stored answer is returned as is:
 * no route, no reservation, no second provider call.
 */
export class RoutedExecutor implements TaskExecutor {
  private readonly now: Clock;
  /** When this process last wrote a success for each provider (a clean circuit needs no write per call). */
  private readonly lastHealthy = new Map<string, number>();
  /** One snapshot per batch of jobs claimed together (ExecutionContext.batch). */
  private readonly batchSnapshots = new WeakMap<object, Promise<RoutingTarget[]>>();

  constructor(
    private readonly deps: {
      store: RoutingStore;
      budgets: BudgetLedger;
      health: HealthRecorder;
      connectors: {
        createConnector(settings: ConnectorSettings): Connector;
        has(kind: ProviderKind): boolean;
      };
      taskTypes: TaskTypeCatalogue;
      settings: RoutingSettings;
      log?: Log;
      now?: Clock;
      instrument?: ExecutorInstrumentation;
      /** Prices a call from its real usage, in integer micro-dollars (core/spend/priceBook.ts). */
      pricing?: {
        cost(
          kind: string,
          model: string | null,
          usage: { inputTokens: number; outputTokens: number },
        ): Promise<number>;
      };
    },
  ) {
    this.now = deps.now ?? systemClock;
  }

  async execute(task: TaskRecord, ctx: ExecutionContext): Promise<ExecutionOutcome> {
    if (ctx.signal.aborted) throw new ProviderAborted('The task was stopped before a provider was called');
    // performance.now() only measures durations (decision time, call latency, time to first token):
    // a monotonic timer, not a clock. Every decision that needs the time of day uses `this.now`.
    const t0 = performance.now();
    const rerun = task.attempts > 1;
    if (rerun) {
      const answered = await this.earlierAnswer(task);
      if (answered) return answered;
    }
    const route = await this.plan(task, ctx, rerun);
    const steps: ChainStep[] = [];
    const decision = this.decisionWriter(task, ctx, route.plan, steps);
    if (route.plan.chain.length === 0) {
      const err = noProviderError(task, route.plan);
      await decision.save('no_provider', err.message);
      throw err;
    }
    this.deps.instrument?.onDecision?.(task.id, performance.now() - t0);
    return this.walkChain(task, ctx, route, steps, decision);
  }

  /**
   * Only a re-run can find attempts of an earlier run that nobody settled (its worker died): they are
   * released (and the re-run reads its own snapshot after that). It can also find an answer an earlier
   * run got and settled but never stored as content (its worker died in between): the task completes
   * with that answer, and no provider is called or charged again.
   */
  private async earlierAnswer(task: TaskRecord): Promise<ExecutionOutcome | null> {
    const { budgets } = this.deps;
    const [answered] = await Promise.all([budgets.settledOutput(task.id), budgets.releaseUnsettled(task.id)]);
    if (answered) {
      this.deps.log?.info('An earlier run got the answer but did not store it; completing with it', {
        taskId: task.id,
        assignmentId: answered.assignmentId,
        provider: answered.providerName,
      });
    }
    return answered;
  }

  /** The route for this run: the task type's prompt and output cap, the snapshot, the plan. */
  private async plan(task: TaskRecord, ctx: ExecutionContext, rerun: boolean): Promise<Route> {
    const type = this.deps.taskTypes.get(task.taskType);
    const system = type?.systemPrompt;
    const maxTokens = Math.max(
      1,
      Math.floor(task.options.maxTokens ?? type?.defaultMaxTokens ?? FALLBACK_MAX_TOKENS),
    );
    const targets = await (ctx.batch && !rerun ? this.sharedSnapshot(ctx.batch) : this.deps.store.snapshot());
    const plan = planRoute(
      {
        taskType: task.taskType,
        priority: task.priority,
        pinnedProviderId: task.providerId,
        teamId: task.teamId ?? null,
        inputTokens: estimateInputTokens({ system, prompt: task.description }),
        maxOutputTokens: maxTokens,
        timeLeftMs: timeLeftMs(task, this.now()),
        source: task.source,
      },
      targets,
      this.deps.settings,
      { now: this.now(), supports: (k) => this.deps.connectors.has(k) },
    );
    return { plan, byId: new Map(targets.map((t) => [t.id, t])), system, maxTokens };
  }

  /**
   * The decision as it stands now (`record`), and `save` to store it on its own. The decision is
   * stored with each reservation and with the settlement of a success, in the same statement; the
   * other outcomes (no provider, aborted, failed) are stored on their own. Every write is awaited, so
   * they land in order. A decision that cannot be stored on its own is only logged.
   */
  private decisionWriter(task: TaskRecord, ctx: ExecutionContext, plan: RoutePlan, steps: ChainStep[]) {
    const runKey = `${ctx.jobId}:${ctx.attempt}`;
    const record = (outcome: string, error?: string): DecisionRecord => ({
      taskId: task.id,
      runKey,
      decision: decisionDocument(plan, steps, {
        runKey,
        attempt: ctx.attempt,
        outcome,
        error,
        decidedAt: this.now(),
      }),
    });
    const save = async (outcome: string, error?: string) => {
      try {
        await this.deps.store.saveDecision(task.id, runKey, record(outcome, error).decision);
      } catch (e) {
        this.deps.log?.warn('Could not store the routing decision', {
          taskId: task.id,
          err: (e as Error).message,
        });
      }
    };
    return { record, save };
  }

  /**
   * Tries the chain's candidates in order, at most `maxAttemptsPerRun` calls: the first answer wins;
   * an abort or a request-side rejection ends the run at once; anything else tries the next one.
   */
  private async walkChain(
    task: TaskRecord,
    ctx: ExecutionContext,
    { plan, byId, system, maxTokens }: Route,
    steps: ChainStep[],
    { record, save }: ReturnType<RoutedExecutor['decisionWriter']>,
  ): Promise<ExecutionOutcome> {
    let calls = 0;
    const failures: string[] = [];
    let lastError: ProviderError | undefined;
    for (const cand of plan.chain) {
      if (calls >= this.deps.settings.maxAttemptsPerRun) break;
      if (ctx.signal.aborted) {
        await save('aborted');
        throw new ProviderAborted('The task was stopped');
      }
      const target = byId.get(cand.providerId)!;
      const r = await this.attempt(task, ctx, target, cand, { system, maxTokens, steps, record });
      if (r.kind === 'skipped') continue;
      calls++;
      if (r.kind === 'ok') return r.outcome;
      const err = r.error;
      if (err instanceof ProviderAborted) {
        await save('aborted');
        throw err;
      }
      failures.push(`${cand.name}: ${err.message}`);
      lastError = err;
      if (err instanceof ProviderRejected && !isProviderSide(err)) {
        await save('failed', err.message);
        throw err;
      }
      this.deps.log?.warn('Provider attempt failed; trying the next candidate', {
        taskId: task.id,
        provider: cand.name,
        errorCode: errorCode(err),
        err: err.message,
      });
    }
    const skippedOnly = calls === 0;
    const message = skippedOnly
      ? `No provider could take the task right now (${steps.map((s) => `${s.name}: ${s.error ?? s.outcome}`).join('; ')})`
      : calls === 1
        ? lastError!.message
        : `All ${calls} provider attempts failed: ${failures.join('; ')}`;
    await save('failed', message);
    throw new ProviderUnavailable(message, {
      reason: 'other',
      code: skippedOnly ? 'no_provider_now' : 'all_failed',
    });
  }

  /**
   * The snapshot for a batch of tasks claimed together: read once, when the first of them asks (every
   * one of them was claimed, and marked running, before that).
   */
  private sharedSnapshot(batch: object): Promise<RoutingTarget[]> {
    let p = this.batchSnapshots.get(batch);
    if (!p) {
      p = this.deps.store.snapshot();
      this.batchSnapshots.set(batch, p);
    }
    return p;
  }

  /**
   * Records a successful answer. A closed circuit with no failures needs no write, except every few
   * seconds so lastCheckedAt stays fresh; anything else (failures to reset, a probe to close) is written.
   */
  private async healthy(target: RoutingTarget): Promise<void> {
    const now = this.now().getTime();
    const clean = target.health.circuit === 'closed' && target.health.consecutiveFailures === 0;
    if (clean && now - (this.lastHealthy.get(target.id) ?? 0) < HEALTHY_WRITE_EVERY_MS) return;
    this.lastHealthy.set(target.id, now);
    if (this.lastHealthy.size > 1000) this.lastHealthy.clear();
    await this.deps.health.recordSuccess(target.id);
  }

  /**
   * One candidate of the chain: claim the probe if its circuit is half-open, reserve on one of its
   * accounts, call it, then record the failure or settle the success. The step it adds to
   * `o.steps` says how far it got: each phase returns the fields it produces, and the step is
   * replaced by a new object with them (`setStep`), never changed in place.
   */
  private async attempt(
    task: TaskRecord,
    ctx: ExecutionContext,
    target: RoutingTarget,
    cand: CandidateEvaluation,
    o: AttemptOptions,
  ): Promise<AttemptResult> {
    const model = pickModel(task, target) ?? null;
    const index = o.steps.push(newStep(target, model)) - 1;
    const circuit = circuitSettingsFor(this.deps.settings.circuit, target.circuit);
    const a: Attempt = { task, ctx, target, cand, o, model, index, circuit };
    if (cand.probe) {
      const probe = await this.claimProbe(a);
      setStep(a, probe.step);
      if (!probe.claimed) return { kind: 'skipped' };
    }
    const reserved = await this.reserve(a);
    setStep(a, reserved.step);
    if (!reserved.reservation) return { kind: 'skipped' };
    const { account, assignmentId } = reserved.reservation;
    ctx.onRunning(target.name);
    ctx.onAttempt?.({ number: o.steps.filter((x) => x.assignmentId).length, providerName: target.name });

    const started = performance.now();
    const timing: CallTiming = {};
    let result: GenerateResult;
    try {
      result = await this.call(a, account, timing);
    } catch (e) {
      const failed = await this.recordFailure(a, assignmentId, e, started);
      setStep(a, failed.step);
      return { kind: 'failed', error: failed.error };
    }
    const usage = usageOf(result);
    // The settlement stores the decision with this step as it ends: set it first.
    setStep(a, succeededStep(result, usage, cand));
    return { kind: 'ok', outcome: await this.settleSuccess(a, reserved.reservation, result, usage, timing) };
  }

  /** An open circuit past its cool-down: only the worker that claims the half-open probe calls it. */
  private async claimProbe({
    target,
    circuit,
  }: Attempt): Promise<{ claimed: boolean; step: Partial<ChainStep> }> {
    const claimed = await this.deps.health.claimProbe(
      target.id,
      circuit.cooldownSeconds,
      target.timeoutMs + 60_000,
    );
    return {
      claimed,
      step: claimed
        ? { probe: true }
        : { probe: true, error: 'circuit half-open: another worker took the probe' },
    };
  }

  /**
   * Reserves the estimate (tokens, and the most the call can cost) on the candidate's first account
   * that still has room, opening the attempt in the same statement with the decision as it stands.
   * Another worker may have taken the room meanwhile: then nothing is reserved and the step says so.
   * While it tries an account, the step shows it running there (the decision stored with the
   * reservation says so); it returns the step's fields once it is done.
   */
  private async reserve(a: Attempt): Promise<{ reservation?: Reservation; step: Partial<ChainStep> }> {
    const { task, ctx, target, cand, o, model } = a;
    // The most this call can cost here, reserved on the account's money budgets with the tokens.
    const micros = this.deps.pricing
      ? await this.deps.pricing.cost(target.kind, model, {
          inputTokens: Math.max(0, cand.estimatedTokens - o.maxTokens),
          outputTokens: o.maxTokens,
        })
      : 0;
    for (const choice of cand.accounts) {
      // The decision as it stands once this reservation holds is stored with it.
      const id = randomUUID();
      setStep(a, { accountId: choice.id, accountName: choice.name, assignmentId: id, outcome: 'running' });
      const assignmentId = await this.deps.budgets.reserveAndStart(
        {
          id,
          taskId: task.id,
          providerId: target.id,
          providerName: target.name,
          accountId: choice.id,
          attempt: ctx.attempt,
          model,
          tokens: cand.estimatedTokens,
          micros,
        },
        o.record('running'),
      );
      const account = assignmentId ? target.accounts.find((x) => x.id === choice.id) : undefined;
      if (assignmentId && account) {
        return {
          reservation: { account, assignmentId },
          step: { accountId: account.id, accountName: account.name, assignmentId },
        };
      }
      if (assignmentId) break;
    }
    if (cand.probe) await this.deps.health.releaseProbe(target.id);
    return {
      step: {
        accountId: null,
        accountName: null,
        assignmentId: null,
        outcome: 'skipped',
        error: `no account has ${cand.estimatedTokens} tokens${micros ? ` and ${micros} µ$ of budget` : ''} free any more`,
        errorCode: 'budget_taken',
      },
    };
  }

  /**
   * Calls the connector with the output cap the reservation assumed, streaming deltas to the task
   * and noting when the request went out and the first token came back.
   */
  private async call(
    { task, ctx, target, o, model }: Attempt,
    account: TargetAccount,
    timing: CallTiming,
  ): Promise<GenerateResult> {
    const connector = this.deps.connectors.createConnector({
      kind: target.kind,
      baseUrl: target.apiEndpoint ?? undefined,
      credentials: account.openCredentials(),
      defaultModel: target.defaultModel || undefined,
      timeoutMs: target.timeoutMs,
      config: target.config,
    });
    const instrument = this.deps.instrument;
    return connector.generate({
      taskId: task.id,
      taskType: task.taskType,
      system: o.system,
      prompt: task.description,
      model: model ?? undefined,
      maxTokens: o.maxTokens,
      temperature: task.options.temperature,
      signal: ctx.signal,
      attempt: ctx.attempt,
      onRequestStart: () => {
        timing.requestAt = performance.now();
        instrument?.onRequestStart?.(task.id);
      },
      onFirstToken: () => {
        timing.firstTokenAt ??= performance.now();
      },
      onDelta: ctx.onDelta ? (text) => ctx.onDelta?.(text) : undefined,
    });
  }

  /**
   * A failed call: classifies it, releases the reservation (settled with nothing used) and tells the
   * circuit — an outage or a provider-side rejection counts against the provider; a refusal or an
   * invalid request is still an answer (the provider is up); an abort only gives the probe back.
   */
  private async recordFailure(
    { ctx, target, cand, circuit }: Attempt,
    assignmentId: string,
    e: unknown,
    started: number,
  ): Promise<{ error: ProviderError; step: Partial<ChainStep> }> {
    const { budgets, health } = this.deps;
    const err = classifyProviderError(e, { providerKind: target.kind, callerSignal: ctx.signal });
    const latencyMs = Math.round(performance.now() - started);
    const code = errorCode(err);
    const outcome = err instanceof ProviderAborted ? 'aborted' : 'failed';
    await budgets.settle(assignmentId, {
      status: outcome,
      tokensUsed: 0,
      latencyMs,
      errorCode: code,
      errorMessage: err.message,
    });
    this.deps.instrument?.onAttempt?.({ provider: target.name, outcome, errorCode: code, latencyMs });
    if (err instanceof ProviderAborted) {
      if (cand.probe) await health.releaseProbe(target.id);
    } else if (err instanceof ProviderUnavailable || isProviderSide(err)) {
      await health.recordFailure(target.id, err.message, circuit);
    } else {
      await this.healthy(target);
    }
    return { error: err, step: { outcome, errorCode: code, error: err.message, latencyMs } };
  }

  /**
   * A success: settles the reservation to the real usage and price, storing the answer on the
   * attempt in the same statement (the re-run's checkpoint), and closes the circuit.
   */
  private async settleSuccess(
    a: Attempt,
    { account, assignmentId }: Reservation,
    result: GenerateResult,
    usage: Usage,
    timing: CallTiming,
  ): Promise<ExecutionOutcome> {
    const { task, target, cand, o } = a;
    if (usage.total > cand.estimatedTokens) {
      // The input estimate (OpenAI's tokenizer × the kind's safety factor) fell short: the real usage
      // is charged all the same. Raise inputSafetyFactor for this kind if it recurs.
      this.deps.log?.warn('A provider reported more tokens than were reserved', {
        taskId: task.id,
        provider: target.name,
        reserved: cand.estimatedTokens,
        used: usage.total,
      });
    }
    const outcome = successOutcome(a, account, assignmentId, result, usage);
    const { assignmentId: _id, ...output } = outcome;
    const costMicros = this.deps.pricing
      ? await this.deps.pricing.cost(target.kind, result.model, {
          inputTokens: usage.input,
          outputTokens: usage.output,
        })
      : 0;
    const ttftMs = timeToFirstToken(result.latencyMs, timing);
    // Settling (with the final decision and the answer) and the circuit are independent writes: in parallel.
    await Promise.all([
      this.deps.budgets.settle(
        assignmentId,
        {
          status: 'succeeded',
          model: result.model,
          tokensInput: usage.input,
          tokensOutput: usage.output,
          tokensUsed: usage.total,
          latencyMs: result.latencyMs,
          ttftMs,
          costMicros,
          output,
        },
        o.record('succeeded'),
      ),
      this.healthy(target),
    ]);
    this.deps.instrument?.onAttempt?.(succeededAttempt(target, result, usage, timing));
    return outcome;
  }
}

/** Replaces the attempt's step in the chain with a new object carrying `fields`. */
function setStep({ o, index }: Attempt, fields: Partial<ChainStep>): void {
  o.steps[index] = { ...o.steps[index]!, ...fields };
}

/** A succeeded call's step fields: the model that answered, its latency and its real usage. */
function succeededStep(result: GenerateResult, usage: Usage, cand: CandidateEvaluation): Partial<ChainStep> {
  return {
    outcome: 'succeeded',
    model: result.model,
    latencyMs: result.latencyMs,
    tokens: { input: usage.input, output: usage.output, total: usage.total, reserved: cand.estimatedTokens },
  };
}

/**
 * A task's model option applies to a provider that offers it (its model list or default), pinned or
 * not; others use their default. Intake refuses a pinned provider's unlisted model; this also covers
 * tasks queued before an admin narrowed the list.
 */
function pickModel(task: TaskRecord, target: RoutingTarget): string | undefined {
  const wanted = task.options.model;
  if (wanted && allowedModels(target).includes(wanted)) return wanted;
  return target.defaultModel || undefined;
}

/**
 * A rejection that says something about the provider or account, not the request: bad or missing
 * credentials, an unknown model or endpoint, no connector. Another provider will not share it.
 */
export function isProviderSide(err: ProviderError): boolean {
  if (!(err instanceof ProviderRejected)) return false;
  const { status, code } = err.info;
  return (
    status === 401 ||
    status === 403 ||
    status === 404 ||
    code === 'misconfigured' ||
    code === 'unsupported_kind'
  );
}

/**
 * The error_code stored on a failed attempt. Provider-side failures use the codes in
 * PROVIDER_FAILURE_CODES (they count towards the provider's error rate); a rejected request keeps
 * the provider's own code (refusal, content_filter, …).
 */
export function errorCode(err: ProviderError): string {
  if (err instanceof ProviderAborted) return 'aborted';
  if (err instanceof ProviderUnavailable) return err.info.reason;
  if (err.info.status === 401 || err.info.status === 403) return 'auth';
  if (err.info.status === 404) return 'not_found';
  if (err.info.code === 'misconfigured' || err.info.code === 'unsupported_kind') return 'misconfigured';
  return err.info.code ?? (err.info.status ? `http_${err.info.status}` : 'rejected');
}

/** Attempt error codes that are the provider's fault: they feed its error rate and circuit. */
export const PROVIDER_FAILURE_CODES = [
  'rate_limit',
  'server_error',
  'timeout',
  'connection',
  'stream_cut',
  'other',
  'auth',
  'not_found',
  'misconfigured',
] as const;
