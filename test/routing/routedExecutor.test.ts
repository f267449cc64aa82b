import { describe, expect, it } from 'vitest';
import { ROUTING_SETTINGS } from '../../config/routingWeights.js';
import { TASK_TYPES } from '../../config/taskTypes.js';
import { ProviderAborted, ProviderRejected, ProviderUnavailable } from '../../src/core/errors.js';
import type { Connector, ConnectorSettings, GenerateRequest } from '../../src/core/providers/connector.js';
import type {
  BudgetLedger,
  HealthRecorder,
  RoutingStore,
  RoutingTarget,
  SettleAttempt,
  StartAttempt,
} from '../../src/core/routing/ports.js';
import { RoutedExecutor } from '../../src/core/routing/routedExecutor.js';
import type { ExecutionContext } from '../../src/core/tasks/executor.js';
import { TaskTypeCatalogue } from '../../src/core/tasks/taskTypes.js';
import type { TaskRecord } from '../../src/core/tasks/types.js';

/**
 * The executor's walk down the chain with in-memory ports (the SQL behind them is tested in
 * ledger.test.ts, the whole hub in fallback.test.ts and budgets.test.ts).
 */
type Behaviour = 'ok' | 'unavailable' | 'rejected' | 'auth' | 'abort' | 'cut';

function world(
  specs: Array<{
    name: string;
    competency: number;
    behaviour: Behaviour;
    limit?: number;
    circuit?: 'closed' | 'open';
    openedSecondsAgo?: number;
  }>,
) {
  const calls: string[] = [];
  const reservations = new Map<string, { account: string; tokens: number; taskId: string }>();
  const accounts = new Map<string, { limit: number; used: number; reserved: number }>();
  const settled: Array<{ id: string; taskId: string; r: SettleAttempt }> = [];
  const decisions: Array<Record<string, unknown>> = [];
  const health: string[] = [];
  let probeTaken = false;
  let seq = 0;

  const targets: RoutingTarget[] = specs.map((s, i) => {
    const accountId = `acct-${s.name}`;
    accounts.set(accountId, { limit: s.limit ?? 1_000_000, used: 0, reserved: 0 });
    return {
      id: `prov-${i}-${s.name}`,
      name: s.name,
      kind: 'mock',
      tier: 'primary',
      status: 'active',
      competencies: { article: s.competency },
      costPer1kInput: 0,
      costPer1kOutput: 0,
      timeoutMs: 1000,
      apiEndpoint: null,
      defaultModel: `${s.name}-model`,
      models: [],
      config: { behaviour: s.behaviour },
      health: {
        circuit: s.circuit ?? 'closed',
        consecutiveFailures: s.circuit === 'open' ? 5 : 0,
        openedAt: s.circuit === 'open' ? new Date(Date.now() - (s.openedSecondsAgo ?? 0) * 1000) : null,
        changedAt: null,
      },
      stats: { inFlight: 0, p50LatencyMs: null, errorRate: null, samples: 0 },
      accounts: [
        {
          id: accountId,
          name: 'main',
          status: 'active',
          tokenLimit: s.limit ?? 1_000_000,
          tokenUsed: 0,
          tokenReserved: 0,
          openCredentials: () => ({ apiKey: `key-${s.name}` }),
        },
      ],
    };
  });

  const store: RoutingStore = {
    snapshot: async () => targets,
    saveDecision: async (_t, _k, d) => {
      decisions.push(d);
    },
  };
  const budgets: BudgetLedger = {
    async reserveAndStart(a: StartAttempt, record) {
      const acc = accounts.get(a.accountId)!;
      if (acc.used + acc.reserved + a.tokens > acc.limit) return null;
      acc.reserved += a.tokens;
      const id = a.id ?? `asg-${++seq}`;
      reservations.set(id, { account: a.accountId, tokens: a.tokens, taskId: a.taskId });
      if (record) decisions.push(record.decision);
      return id;
    },
    async settle(id, r, record) {
      if (record) decisions.push(record.decision);
      const res = reservations.get(id);
      if (!res) return false;
      reservations.delete(id);
      const acc = accounts.get(res.account)!;
      acc.reserved -= res.tokens;
      acc.used += r.tokensUsed ?? 0;
      settled.push({ id, taskId: res.taskId, r });
      return true;
    },
    releaseUnsettled: async () => 0,
    async settledOutput(taskId) {
      const s = settled.findLast((x) => x.taskId === taskId && x.r.status === 'succeeded' && x.r.output);
      return s ? { ...s.r.output!, assignmentId: s.id } : null;
    },
  };
  const recorder: HealthRecorder = {
    recordSuccess: async (id) => {
      health.push(`ok:${id}`);
    },
    recordFailure: async (id) => {
      health.push(`fail:${id}`);
      return 'closed';
    },
    claimProbe: async () => {
      if (probeTaken) return false;
      probeTaken = true;
      return true;
    },
    releaseProbe: async () => {
      probeTaken = false;
    },
  };
  const connectors = {
    has: () => true,
    createConnector(settings: ConnectorSettings): Connector {
      const behaviour = settings.config?.behaviour as Behaviour;
      return {
        kind: 'mock',
        test: async () => ({ ok: true, latencyMs: 0 }),
        async generate(req: GenerateRequest) {
          calls.push(`${settings.defaultModel}:${String(settings.credentials.apiKey)}`);
          if (behaviour === 'unavailable')
            throw new ProviderUnavailable('server error (HTTP 500)', { reason: 'server_error', status: 500 });
          if (behaviour === 'rejected')
            throw new ProviderRejected('refused', { status: 400, code: 'refusal' });
          if (behaviour === 'auth')
            throw new ProviderRejected('authentication failed (HTTP 401)', { status: 401 });
          if (behaviour === 'abort') throw new ProviderAborted();
          if (behaviour === 'cut') {
            req.onDelta?.('half an ans');
            throw new ProviderUnavailable('stream cut', { reason: 'stream_cut' });
          }
          req.onDelta?.('from ');
          req.onDelta?.(String(req.model));
          return {
            text: `from ${req.model}`,
            model: req.model ?? 'm',
            usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15 },
            latencyMs: 3,
          };
        },
      };
    },
  };
  const executor = new RoutedExecutor({
    store,
    budgets,
    health: recorder,
    connectors,
    taskTypes: new TaskTypeCatalogue(TASK_TYPES),
    settings: ROUTING_SETTINGS,
  });
  return {
    executor,
    calls,
    accounts,
    settled,
    decisions,
    health,
    targets,
    takeProbe: () => (probeTaken = true),
  };
}

const task = (over: Partial<TaskRecord> = {}): TaskRecord => ({
  id: 'task-1',
  userId: 'u',
  teamId: null,
  title: 't',
  description: 'Write about the harbour',
  taskType: 'article',
  priority: 'normal',
  status: 'running',
  source: 'api',
  providerId: null,
  options: { maxTokens: 50 },
  callbackUrl: null,
  webhookId: null,
  origin: null,
  contentId: null,
  regenerateContentId: null,
  error: null,
  attempts: 1,
  createdAt: new Date(),
  updatedAt: new Date(),
  startedAt: new Date(),
  completedAt: null,
  ...over,
});

const ctx = (signal = new AbortController().signal): ExecutionContext & { running: string[] } => {
  const running: string[] = [];
  return { signal, jobId: 'job-1', attempt: 1, onRunning: (n) => running.push(n), running };
};

describe('RoutedExecutor', () => {
  it('calls the best candidate with its own key and model and returns the provenance', async () => {
    const w = world([
      { name: 'a', competency: 0.9, behaviour: 'ok' },
      { name: 'b', competency: 0.5, behaviour: 'ok' },
    ]);
    const c = ctx();
    const out = await w.executor.execute(task(), c);
    expect(out).toMatchObject({
      text: 'from a-model',
      providerName: 'a',
      accountId: 'acct-a',
      usage: { input: 10, output: 5, total: 15 },
      fallbackChain: ['a'],
    });
    expect(w.calls).toEqual(['a-model:key-a']);
    expect(c.running).toEqual(['a']);
    expect(w.accounts.get('acct-a')).toEqual({ limit: 1_000_000, used: 15, reserved: 0 });
    expect(w.decisions.map((d) => d.outcome)).toEqual(['running', 'succeeded']);
  });

  it('a re-run after a settled success completes with the stored answer: no second call, nothing reserved', async () => {
    const w = world([{ name: 'a', competency: 0.9, behaviour: 'ok' }]);
    const first = await w.executor.execute(task(), ctx());
    expect(w.settled[0]!.r.output).toEqual({ ...first, assignmentId: undefined });
    // The worker died before the task completed: the job runs again (attempt 2).
    const c = { ...ctx(), attempt: 2 };
    const again = await w.executor.execute(task({ attempts: 2 }), c);
    expect(again).toEqual(first);
    expect(w.calls).toEqual(['a-model:key-a']);
    expect(c.running).toEqual([]);
    expect(w.settled).toHaveLength(1);
    expect(w.accounts.get('acct-a')).toEqual({ limit: 1_000_000, used: 15, reserved: 0 });
  });

  it('falls back past unavailable and provider-side (401) failures, counting them on the circuit', async () => {
    const w = world([
      { name: 'a', competency: 0.9, behaviour: 'unavailable' },
      { name: 'b', competency: 0.8, behaviour: 'auth' },
      { name: 'c', competency: 0.7, behaviour: 'ok' },
    ]);
    const out = await w.executor.execute(task(), ctx());
    expect(out.fallbackChain).toEqual(['a', 'b', 'c']);
    expect(w.health.map((h) => h.split(':')[0])).toEqual(['fail', 'fail', 'ok']);
    expect([...w.accounts.values()].map((a) => a.reserved)).toEqual([0, 0, 0]);
    expect(w.settled.map((s) => [s.r.status, s.r.errorCode ?? null])).toEqual([
      ['failed', 'server_error'],
      ['failed', 'auth'],
      ['succeeded', null],
    ]);
  });

  it('reports each attempt and its streamed pieces to the context, in order', async () => {
    const w = world([
      { name: 'a', competency: 0.9, behaviour: 'unavailable' },
      { name: 'b', competency: 0.8, behaviour: 'cut' },
      { name: 'c', competency: 0.7, behaviour: 'ok' },
    ]);
    const events: string[] = [];
    const out = await w.executor.execute(task(), {
      ...ctx(),
      onAttempt: (a) => events.push(`attempt ${a.number} ${a.providerName}`),
      onDelta: (t) => events.push(`delta ${t}`),
    });
    expect(events).toEqual([
      'attempt 1 a',
      'attempt 2 b',
      'delta half an ans',
      'attempt 3 c',
      'delta from ',
      'delta c-model',
    ]);
    expect(out.text).toBe('from c-model');
  });

  it('fails fast on a rejected request without trying others', async () => {
    const w = world([
      { name: 'a', competency: 0.9, behaviour: 'rejected' },
      { name: 'b', competency: 0.5, behaviour: 'ok' },
    ]);
    await expect(w.executor.execute(task(), ctx())).rejects.toBeInstanceOf(ProviderRejected);
    expect(w.calls).toEqual(['a-model:key-a']);
    expect(w.accounts.get('acct-a')).toMatchObject({ used: 0, reserved: 0 });
    expect(w.decisions.at(-1)).toMatchObject({ outcome: 'failed' });
  });

  it('makes at most maxAttemptsPerRun calls, then throws ProviderUnavailable (the job retries)', async () => {
    const w = world(
      Array.from({ length: 6 }, (_, i) => ({
        name: `p${i}`,
        competency: 0.9 - i * 0.1,
        behaviour: 'unavailable' as const,
      })),
    );
    const err = await w.executor.execute(task(), ctx()).catch((e) => e);
    expect(err).toBeInstanceOf(ProviderUnavailable);
    expect(err.message).toMatch(/^All 4 provider attempts failed/);
    expect(w.calls).toHaveLength(ROUTING_SETTINGS.maxAttemptsPerRun);
  });

  it('skips a provider whose budget was taken by a concurrent task, and moves on', async () => {
    const w = world([
      { name: 'a', competency: 0.9, behaviour: 'ok' },
      { name: 'b', competency: 0.5, behaviour: 'ok' },
    ]);
    // Another worker reserves most of a's budget after the snapshot was taken.
    const original = w.targets[0]!.accounts[0]!;
    w.accounts.get(original.id)!.reserved = 999_990;
    const out = await w.executor.execute(task(), ctx());
    expect(out.providerName).toBe('b');
    expect(out.fallbackChain).toEqual(['b']);
    const chain = w.decisions.at(-1)!.chain as Array<Record<string, unknown>>;
    expect(chain[0]).toMatchObject({ name: 'a', outcome: 'skipped', errorCode: 'budget_taken' });
  });

  it('only the worker that claims the half-open probe calls an open provider', async () => {
    const w = world([
      { name: 'a', competency: 0.9, behaviour: 'ok', circuit: 'open', openedSecondsAgo: 3600 },
      { name: 'b', competency: 0.5, behaviour: 'ok' },
    ]);
    w.takeProbe();
    const out = await w.executor.execute(task(), ctx());
    expect(out.providerName).toBe('b');
    const w2 = world([
      { name: 'a', competency: 0.9, behaviour: 'ok', circuit: 'open', openedSecondsAgo: 3600 },
    ]);
    const probed = await w2.executor.execute(task(), ctx());
    expect(probed.providerName).toBe('a');
    expect((w2.decisions.at(-1)!.chain as Array<Record<string, unknown>>)[0]).toMatchObject({
      probe: true,
      outcome: 'succeeded',
    });
  });

  it('an abort releases the reservation and stops the chain', async () => {
    const w = world([
      { name: 'a', competency: 0.9, behaviour: 'abort' },
      { name: 'b', competency: 0.5, behaviour: 'ok' },
    ]);
    await expect(w.executor.execute(task(), ctx())).rejects.toBeInstanceOf(ProviderAborted);
    expect(w.calls).toHaveLength(1);
    expect(w.accounts.get('acct-a')).toMatchObject({ used: 0, reserved: 0 });
    expect(w.settled[0]!.r.status).toBe('aborted');
  });

  it('no candidate at all: a clear ProviderRejected; only open circuits: ProviderUnavailable to retry later', async () => {
    const spent = world([{ name: 'a', competency: 0.9, behaviour: 'ok', limit: 10 }]);
    const e1 = await spent.executor.execute(task(), ctx()).catch((e) => e);
    expect(e1).toBeInstanceOf(ProviderRejected);
    expect(e1.message).toMatch(
      /No provider can run this "article" task\. Candidates: a \(not enough token budget left on its accounts for this task\)/,
    );
    expect(spent.decisions).toEqual([expect.objectContaining({ outcome: 'no_provider' })]);

    const open = world([
      { name: 'a', competency: 0.9, behaviour: 'ok', circuit: 'open', openedSecondsAgo: 1 },
    ]);
    const e2 = await open.executor.execute(task(), ctx()).catch((e) => e);
    expect(e2).toBeInstanceOf(ProviderUnavailable);
    expect(e2.message).toMatch(/right now/);
  });

  it('the model option applies to a provider that offers it; others use their default', async () => {
    const w = world([
      { name: 'a', competency: 0.9, behaviour: 'unavailable' },
      { name: 'b', competency: 0.5, behaviour: 'ok' },
    ]);
    w.targets[1]!.models = ['special'];
    const out = await w.executor.execute(task({ options: { maxTokens: 50, model: 'special' } }), ctx());
    expect(out.text).toBe('from special');
  });
});
