import { randomUUID } from 'node:crypto';
import {
  AppError,
  ProviderAborted,
  type ProviderError,
  ProviderRejected,
  ProviderUnavailable,
} from '../errors.js';
import { classifyProviderError } from '../providers/classify.js';
import { circuitSettingsFor } from '../routing/circuit.js';
import type { HealthRecorder, RoutingTarget, TargetAccount } from '../routing/ports.js';
import { errorCode, isProviderSide } from '../routing/routedExecutor.js';
import { planRoute } from '../routing/router.js';
import type { CandidateEvaluation, RoutePlan, RoutingSettings } from '../routing/types.js';
import { backendFor } from './backends.js';
import { budgetError } from './budgetError.js';
import { listModels, type ModelChoice, resolveModel, SWITCHYARD_PREFIX } from './modelNames.js';
import type { BudgetHold, GatewayAttempt, GatewayCallRecord, GatewaySpend, GatewayStore } from './ports.js';
import type { CallRecorder } from './recorder.js';
import { SSE_DONE, sseData, sseError } from './sse.js';
import type {
  BackendTarget,
  CallContext,
  ChatBackend,
  ChatRequest,
  EmbeddingsRequest,
  Meter,
} from './types.js';

/** What the gateway writes to: the HTTP adapter implements it over Express's response. */
export interface ResponseSink {
  /** The client went away: abort the provider call. */
  signal: AbortSignal;
  json(status: number, body: string): void;
  /** Starts a 200 SSE response (the first byte: from here on, no failover). */
  startStream(): void;
  write(frame: string): void;
  end(): void;
}

export interface Caller {
  userId: string;
  /** A team-scoped API token's team: the team's provider accounts serve it and the call is the team's. */
  teamId?: string;
  /** The API token used (its budgets apply). */
  apiTokenId?: string;
}

/**
 * The providers a caller may use: those with an account that is not a team's, or is the caller's
 * team's (the router applies the same rule per account; this keeps other teams' models out of
 * GET /v1/models and answers their names with 404 model_not_found).
 */
export function visibleTargets(targets: RoutingTarget[], teamId: string | undefined): RoutingTarget[] {
  return targets.filter((t) => t.accounts.some((a) => !a.teamId || a.teamId === teamId));
}

const DEFAULT_MAX_OUTPUT = 4096;

interface RunOptions {
  model: string;
  inputTokens: number;
  maxOut: number;
  describe: string;
  temperature?: number;
  includeUsage?: boolean;
  /** Which calls `capable` admits (the key of the per-snapshot cache of model resolutions). */
  capability: 'chat' | 'embeddings';
  capable: (t: RoutingTarget) => boolean;
  sink: ResponseSink;
  call: (
    backend: ChatBackend,
    t: BackendTarget,
    ctx: CallContext,
    first: () => void,
  ) => Promise<{ send: () => void | Promise<void> }>;
}
const EMBEDDING_KINDS = new Set(['openai', 'openai_compatible']);

/** A model name's resolution and the providers that may serve it. */
interface Route {
  choice: ModelChoice;
  pool: RoutingTarget[];
}

/** What calls derive from one routing snapshot for one team (GatewayService.derive). */
interface Derived {
  targets: RoutingTarget[];
  byId: Map<string, RoutingTarget>;
  routes: Map<string, Route | null>;
}

/**
 * The OpenAI-compatible gateway (POST /v1/chat/completions, /v1/embeddings, GET /v1/models). The
 * synchronous path, not the queued one: no task row and no job before the call. Per call:
 *
 * 1. the model name picks the task type and the providers allowed (modelNames.ts);
 * 2. the router plans the route (core/routing/router.ts) over a snapshot that is cached for a few
 *    hundred milliseconds (budgets are enforced by the reservation, not the snapshot);
 * 3. per candidate: the half-open probe claim when its circuit is open, the reservation on its best
 *    account with room (tokens, and the account's own money budgets; out of this process's lease on
 *    the account or one statement), the call;
 * 4. failover (rate limit, 5xx, timeout, connection, provider-side 401/403/404) happens only while
 *    nothing has been sent to the client; a stream cut after its first byte ends with an error event;
 * 5. after the response: the call goes to the recorder, which prices its attempts (the PriceBook),
 *    writes it as a task of the caller (source `gateway`, completed or failed) with its attempts, and
 *    settles the reservations, in batches.
 *
 * Before the first candidate, the estimate (input with margin + max_tokens, at the dearest candidate's
 * price) is reserved against the caller's budgets (user, team of a team token, API token): out of
 * this process's lease on them, or by one statement that reserves a new lease (core/spend/
 * gatewayLeases.ts); a block or approve budget without room answers 429 insufficient_quota /
 * budget_exceeded (docs/gateway.md § Budgets).
 */
export class GatewayService {
  private readonly connectorBackend: ChatBackend;
  private readonly lastHealthy = new Map<string, number>();
  private readonly derived = new WeakMap<RoutingTarget[], Map<string, Derived>>();

  constructor(
    private readonly deps: {
      store: GatewayStore;
      health: HealthRecorder;
      recorder: CallRecorder;
      settings: RoutingSettings;
      taskTypes: () => readonly string[];
      supports: (kind: string) => boolean;
      connectorBackend: ChatBackend;
      /** Budgets and prices (absent: calls are neither budgeted nor priced). */
      spend?: GatewaySpend;
      log?: { warn(m: string, meta?: Record<string, unknown>): void };
    },
  ) {
    this.connectorBackend = deps.connectorBackend;
  }

  async models(caller: Caller): Promise<Array<{ id: string; owned_by: string }>> {
    const targets = visibleTargets(await this.deps.store.snapshot(), caller.teamId);
    return listModels(targets, this.deps.taskTypes(), (t) => this.deps.supports(t.kind));
  }

  async chat(caller: Caller, req: ChatRequest, bodyBytes: number, sink: ResponseSink): Promise<void> {
    const stream = req.stream === true;
    const maxOut = positive(req.max_completion_tokens) ?? positive(req.max_tokens) ?? DEFAULT_MAX_OUTPUT;
    return this.run(caller, {
      model: req.model,
      inputTokens: Math.ceil(bodyBytes / 3),
      maxOut,
      describe: describeMessages(req),
      temperature: typeof req.temperature === 'number' ? req.temperature : undefined,
      includeUsage: req.stream_options?.include_usage === true,
      capability: 'chat',
      capable: (t) => this.deps.supports(t.kind),
      sink,
      call: async (backend, t, ctx, first) => {
        if (!stream) {
          const body = await backend.complete(t, req, ctx);
          return { send: () => sink.json(200, body) };
        }
        const it = backend.stream(t, req, ctx)[Symbol.asyncIterator]();
        // Pull the first chunk before answering: until then a failure can still fail over.
        const head = await it.next();
        first();
        return {
          send: async () => {
            sink.startStream();
            if (!head.done) sink.write(sseData(head.value));
            for (;;) {
              const n = await it.next();
              if (n.done) break;
              sink.write(sseData(n.value));
            }
            sink.write(SSE_DONE);
            sink.end();
          },
        };
      },
    });
  }

  async embeddings(
    caller: Caller,
    req: EmbeddingsRequest,
    bodyBytes: number,
    sink: ResponseSink,
  ): Promise<void> {
    // Routed names pick chat models: embeddings need a model named by the caller.
    if (req.model.startsWith(SWITCHYARD_PREFIX)) throw modelNotFound(req.model);
    return this.run(caller, {
      model: req.model,
      inputTokens: Math.ceil(bodyBytes / 3),
      maxOut: 0,
      describe: 'embeddings',
      capability: 'embeddings',
      capable: (t) => EMBEDDING_KINDS.has(t.kind),
      sink,
      call: async (backend, t, ctx) => {
        if (!backend.embeddings)
          throw new ProviderRejected(`${t.providerName} offers no embeddings`, { code: 'misconfigured' });
        const body = await backend.embeddings(t, req, ctx);
        return { send: () => sink.json(200, body) };
      },
    });
  }

  private async run(caller: Caller, o: RunOptions): Promise<void> {
    const createdAt = new Date();
    const taskId = randomUUID();
    let budgeted = false;
    let hold: BudgetHold | undefined;
    let estimatedMicros: number | undefined;
    const derived = this.derive(await this.deps.store.snapshot(), caller.teamId);
    const route = this.route(derived, o);
    if (!route) throw modelNotFound(o.model);
    const { choice } = route;
    const plan = this.plan(choice, route.pool, { ...o, teamId: caller.teamId });
    const byId = derived.byId;
    const attempts: GatewayAttempt[] = [];
    const steps: Array<Record<string, unknown>> = [];
    let recorded = false;
    const record = (status: 'completed' | 'failed', error: string | null) => {
      if (recorded) return;
      recorded = true;
      const routing = {
        version: 1,
        source: 'gateway',
        requestedModel: o.model,
        decidedAt: createdAt.toISOString(),
        outcome: status === 'completed' ? 'succeeded' : 'failed',
        ...(error ? { error } : {}),
        taskType: plan.taskType,
        priority: plan.priority,
        estimate: plan.estimate,
        tier: plan.tier,
        candidates: plan.candidates.map((c) => ({
          providerId: c.providerId,
          name: c.name,
          kind: c.kind,
          kept: c.kept,
          ...(c.reason ? { reason: c.reason } : {}),
          note: c.note,
          ...(c.score !== undefined ? { score: c.score } : {}),
          ...(c.rank ? { rank: c.rank } : {}),
        })),
        chain: steps,
      };
      const last = attempts.at(-1);
      const rec: GatewayCallRecord = {
        taskId,
        budgeted,
        ...(hold ? { hold } : {}),
        ...(estimatedMicros !== undefined ? { estimatedMicros } : {}),
        userId: caller.userId,
        teamId: caller.teamId ?? null,
        taskType: plan.taskType,
        title: `Gateway: ${o.model}`.slice(0, 200),
        description: o.describe || '(empty)',
        status,
        error,
        providerId: choice.providerIds?.size === 1 ? [...choice.providerIds][0]! : null,
        model: last?.model ?? choice.model,
        maxTokens: o.maxOut,
        ...(o.temperature !== undefined ? { temperature: o.temperature } : {}),
        createdAt,
        completedAt: new Date(),
        routing,
        attempts,
      };
      this.deps.recorder.add(rec);
    };

    if (plan.chain.length === 0) {
      const err = noRoute(plan);
      record('failed', err.message);
      throw err;
    }

    const priced = new Map<string, number>();
    if (this.deps.spend) {
      // Priced once per candidate: the dearest is reserved against the caller's budgets, and each
      // candidate's own is reserved on its account's money budgets when it is tried.
      const usage = { inputTokens: o.inputTokens, outputTokens: o.maxOut };
      let estimate = 0;
      for (const c of plan.chain) {
        const t = byId.get(c.providerId)!;
        const model = choice.model ?? t.defaultModel ?? '';
        const m = await this.deps.spend.estimate([{ kind: t.kind, model: model || null }], usage);
        priced.set(c.providerId, m);
        if (m > estimate) estimate = m;
      }
      const r = await this.deps.spend.reserve(
        {
          taskId,
          userId: caller.userId,
          teamId: caller.teamId ?? null,
          apiTokenId: caller.apiTokenId ?? null,
          taskType: plan.taskType,
          title: `Gateway: ${o.model}`.slice(0, 200),
          description: o.describe || '(empty)',
        },
        estimate,
        o.inputTokens + o.maxOut,
      );
      if (r.over) {
        const err = budgetError(r.over, estimate);
        record('failed', err.message);
        throw err;
      }
      budgeted = r.reserved;
      hold = r.hold;
      if (r.reserved) estimatedMicros = estimate;
    }

    try {
      await this.dispatch(plan, choice, o, byId, priced, attempts, steps, record);
    } catch (e) {
      // Whatever failed, the call is recorded (and its reservation settled) exactly once.
      if (!recorded) record('failed', e instanceof Error ? e.message : String(e));
      throw e;
    }
  }

  private async dispatch(
    plan: RoutePlan,
    choice: ModelChoice,
    o: RunOptions,
    byId: Map<string, RoutingTarget>,
    priced: Map<string, number>,
    attempts: GatewayAttempt[],
    steps: Array<Record<string, unknown>>,
    record: (status: 'completed' | 'failed', error: string | null) => void,
  ): Promise<void> {
    let lastError: ProviderError | undefined;
    let calls = 0;
    for (const cand of plan.chain) {
      if (calls >= this.deps.settings.maxAttemptsPerRun) break;
      if (o.sink.signal.aborted) {
        lastError = new ProviderAborted('The client went away');
        break;
      }
      const target = byId.get(cand.providerId)!;
      const circuit = circuitSettingsFor(this.deps.settings.circuit, target.circuit);
      const step: Record<string, unknown> = { providerId: target.id, name: target.name, outcome: 'skipped' };
      steps.push(step);
      if (cand.probe) {
        step.probe = true;
        if (
          !(await this.deps.health.claimProbe(target.id, circuit.cooldownSeconds, target.timeoutMs + 60_000))
        ) {
          step.error = 'circuit half-open: another call took the probe';
          continue;
        }
      }
      const model = choice.model ?? target.defaultModel ?? '';
      // The most the call can cost here, reserved on the account's own money budgets with the tokens.
      const micros = priced.get(target.id) ?? 0;
      const reserved = await this.reserve(cand, target, micros);
      if (!reserved) {
        if (cand.probe) await this.deps.health.releaseProbe(target.id);
        step.errorCode = 'budget_taken';
        step.error = `no account has ${cand.estimatedTokens} tokens${micros ? ` and ${micros} µ$ of budget` : ''} free any more`;
        continue;
      }
      const { account, micros: microsReserved, budgetIds: microsBudgetIds, leaseId } = reserved;
      calls++;
      Object.assign(step, { accountId: account.id, accountName: account.name, model });
      const meter: Meter = { input: 0, output: 0, model: null };
      const attempt: GatewayAttempt = {
        id: randomUUID(),
        providerId: target.id,
        providerName: target.name,
        providerKind: target.kind,
        accountId: account.id,
        status: 'failed',
        model,
        tokensInput: 0,
        tokensOutput: 0,
        tokensReserved: cand.estimatedTokens,
        microsReserved,
        ...(microsBudgetIds.length ? { microsBudgetIds } : {}),
        ...(leaseId ? { leaseId } : {}),
        latencyMs: 0,
        errorCode: null,
        errorMessage: null,
      };
      attempts.push(attempt);
      const started = performance.now();
      let committed = false;
      const ctx: CallContext = { signal: o.sink.signal, meter, includeUsage: o.includeUsage === true };
      try {
        const t = this.backendTarget(target, account, model);
        const backend = backendFor(target.kind, this.connectorBackend);
        const r = await o.call(backend, t, ctx, () => {});
        committed = true;
        await r.send();
      } catch (e) {
        const err =
          e instanceof AppError
            ? e
            : classifyProviderError(e, { providerKind: target.kind, callerSignal: o.sink.signal });
        if (err instanceof AppError) {
          Object.assign(attempt, { latencyMs: Math.round(performance.now() - started), errorCode: err.code });
          record('failed', err.message);
          throw err;
        }
        const code = errorCode(err);
        Object.assign(attempt, {
          status: err instanceof ProviderAborted ? 'aborted' : 'failed',
          latencyMs: Math.round(performance.now() - started),
          tokensInput: meter.input,
          tokensOutput: meter.output,
          errorCode: code,
          errorMessage: err.message.slice(0, 2000),
        });
        Object.assign(step, {
          outcome: attempt.status,
          errorCode: code,
          error: err.message,
          latencyMs: attempt.latencyMs,
        });
        if (err instanceof ProviderAborted) {
          if (cand.probe) void this.deps.health.releaseProbe(target.id).catch(() => {});
        } else if (err instanceof ProviderUnavailable || isProviderSide(err)) {
          void this.deps.health.recordFailure(target.id, err.message, circuit).catch(() => {});
        } else this.healthy(target);
        lastError = err;
        if (committed) {
          // The client has the first byte: no failover. End the stream with an error event.
          o.sink.write(sseError(`The provider's stream was cut: ${err.message}`));
          o.sink.end();
          record('failed', err.message);
          return;
        }
        if (err instanceof ProviderAborted || (err instanceof ProviderRejected && !isProviderSide(err)))
          break;
        continue;
      }
      Object.assign(attempt, {
        status: 'succeeded',
        model: meter.model ?? model,
        latencyMs: Math.round(performance.now() - started),
        tokensInput: meter.input,
        tokensOutput: meter.output,
      });
      Object.assign(step, {
        outcome: 'succeeded',
        model: attempt.model,
        latencyMs: attempt.latencyMs,
        tokens: {
          input: meter.input,
          output: meter.output,
          total: meter.input + meter.output,
          reserved: cand.estimatedTokens,
        },
      });
      this.healthy(target);
      record('completed', null);
      return;
    }
    if (!lastError && steps.length && steps.every((s) => s.errorCode === 'budget_taken')) {
      const err = new AppError(
        'rate_limited',
        'The token or money budget of every provider account that could serve this model is spent',
        {
          details: { openai: { type: 'insufficient_quota', code: 'insufficient_quota' } },
        },
      );
      record('failed', err.message);
      throw err;
    }
    const err =
      lastError ??
      new ProviderUnavailable('No provider could take the call right now', {
        reason: 'other',
        code: 'no_provider_now',
      });
    record('failed', err.message);
    throw err;
  }

  /**
   * What a call derives from the routing snapshot alone, kept with that snapshot (a new one comes
   * every second or so, and this goes with the old one): the targets the caller's team may see, by
   * id, and each model name's resolution and candidate pool.
   */
  private derive(snapshot: RoutingTarget[], teamId: string | undefined): Derived {
    let perTeam = this.derived.get(snapshot);
    if (!perTeam) {
      perTeam = new Map();
      this.derived.set(snapshot, perTeam);
    }
    let d = perTeam.get(teamId ?? '');
    if (!d) {
      const targets = visibleTargets(snapshot, teamId);
      d = { targets, byId: new Map(targets.map((t) => [t.id, t])), routes: new Map() };
      if (perTeam.size < 10_000) perTeam.set(teamId ?? '', d);
    }
    return d;
  }

  /** The model name's resolution and candidate pool; routed names (switchyard/…) each call (task types may change). */
  private route(d: Derived, o: RunOptions): Route | null {
    const cacheable = !o.model.startsWith(SWITCHYARD_PREFIX);
    const key = `${o.capability}\u0000${o.model}`;
    if (cacheable) {
      const hit = d.routes.get(key);
      if (hit !== undefined) return hit;
    }
    const choice = resolveModel(o.model, d.targets, this.deps.taskTypes(), o.capable);
    const { settings } = this.deps;
    // Providers the caller named (a model or provider/model) serve whatever their competencies.
    const r = choice && {
      choice,
      pool: choice.providerIds
        ? d.targets
            .filter((t) => choice.providerIds!.has(t.id))
            .map((t) => ({
              ...t,
              competencies: { ...t.competencies, [choice.taskType]: Math.max(1, settings.minCompetency) },
            }))
        : d.targets.filter(o.capable),
    };
    if (cacheable && d.routes.size < 1_000) d.routes.set(key, r);
    return r;
  }

  private plan(
    choice: ModelChoice,
    pool: RoutingTarget[],
    o: { inputTokens: number; maxOut: number; teamId?: string },
  ): RoutePlan {
    const { settings } = this.deps;
    return planRoute(
      {
        taskType: choice.taskType,
        priority: 'normal',
        pinnedProviderId: null,
        inputTokens: o.inputTokens,
        maxOutputTokens: o.maxOut,
        ...(o.teamId ? { teamId: o.teamId } : {}),
      },
      pool,
      settings,
      { now: new Date(), supports: (k) => this.deps.supports(k) },
    );
  }

  /**
   * Reserves the call on the candidate's first account with room (tokens, and money on the
   * account's own budgets); an account without room is skipped, as the task router skips it.
   */
  private async reserve(
    cand: CandidateEvaluation,
    target: RoutingTarget,
    micros: number,
  ): Promise<{ account: TargetAccount; micros: number; budgetIds: string[]; leaseId?: string } | null> {
    for (const a of cand.accounts) {
      const m = await this.deps.store.reserve(a.id, cand.estimatedTokens, micros);
      if (m === null) continue;
      const account = target.accounts.find((x) => x.id === a.id);
      return account
        ? { account, micros: m.micros, budgetIds: m.budgetIds, ...(m.leaseId ? { leaseId: m.leaseId } : {}) }
        : null;
    }
    return null;
  }

  private backendTarget(target: RoutingTarget, account: TargetAccount, model: string): BackendTarget {
    const creds = account.openCredentials();
    return {
      kind: target.kind,
      baseUrl: target.apiEndpoint,
      apiKey: typeof creds.apiKey === 'string' ? creds.apiKey : undefined,
      credentials: creds,
      timeoutMs: target.timeoutMs,
      model,
      defaultModel: target.defaultModel,
      config: target.config,
      providerName: target.name,
    };
  }

  private healthy(t: RoutingTarget): void {
    const clean = t.health.circuit === 'closed' && t.health.consecutiveFailures === 0;
    const now = Date.now();
    if (clean && now - (this.lastHealthy.get(t.id) ?? 0) < 5_000) return;
    this.lastHealthy.set(t.id, now);
    void this.deps.health.recordSuccess(t.id).catch(() => {});
  }
}

function modelNotFound(model: string): AppError {
  return new AppError('not_found', `The model '${model}' does not exist or you do not have access to it.`, {
    details: { openai: { type: 'invalid_request_error', code: 'model_not_found', param: 'model' } },
  });
}

function positive(n: unknown): number | undefined {
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? Math.floor(n) : undefined;
}

/** The task's description: the last user message, cut short (the conversation itself is not stored). */
function describeMessages(req: ChatRequest): string {
  let last: ChatRequest['messages'][number] | undefined;
  for (let i = req.messages.length - 1; i >= 0 && !last; i--)
    if (req.messages[i]!.role === 'user') last = req.messages[i];
  const c = last?.content;
  const text =
    typeof c === 'string'
      ? c
      : Array.isArray(c)
        ? c.map((p) => (typeof p?.text === 'string' ? p.text : '')).join('')
        : '';
  return text.replaceAll(String.fromCharCode(0), '').slice(0, 500);
}

/** No candidate at all: budgets (429 insufficient_quota), open circuits (503), or nothing configured. */
function noRoute(plan: RoutePlan): AppError {
  const why = plan.candidates.map((c) => `${c.name}: ${c.note}`).join('; ');
  if (plan.candidates.some((c) => c.reason === 'no_budget'))
    return new AppError(
      'rate_limited',
      `The token budget of every provider that could serve this model is spent (${why})`,
      {
        details: { openai: { type: 'insufficient_quota', code: 'insufficient_quota' } },
      },
    );
  if (plan.candidates.some((c) => c.reason === 'circuit_open' || c.reason === 'probe_in_flight'))
    return new AppError(
      'unavailable',
      `Every provider that could serve this model is failing right now (${why})`,
      {
        retryAfter: 30,
        details: { openai: { type: 'server_error', code: 'provider_unavailable' } },
      },
    );
  return new AppError('unavailable', `No provider can serve this model${why ? ` (${why})` : ''}`, {
    retryAfter: 30,
    details: { openai: { type: 'server_error', code: 'no_provider' } },
  });
}
