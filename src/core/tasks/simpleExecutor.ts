import { ProviderAborted, type ProviderError, ProviderRejected, ProviderUnavailable } from '../errors.js';
import { classifyProviderError } from '../providers/classify.js';
import type { Connector, ConnectorSettings, GenerateResult } from '../providers/connector.js';
import type { ExecutionContext, ExecutionOutcome, TaskExecutor } from './executor.js';
import type { AssignmentStore, ProviderDirectory } from './ports.js';
import type { TaskTypeCatalogue } from './taskTypes.js';
import type { TaskRecord } from './types.js';

const FALLBACK_MAX_TOKENS = 1000;

/**
 * The simplest executor: the first candidate the directory offers (primary tier, best competency,
 * an account with budget left — in practice the built-in mock until real providers are added), one
 * call, one task_assignments row per attempt. No fallback and no budget reservation: the router
 * replaces this behind the same TaskExecutor interface.
 */
export class SimpleExecutor implements TaskExecutor {
  constructor(
    private readonly deps: {
      providers: ProviderDirectory;
      assignments: AssignmentStore;
      connectors: { createConnector(settings: ConnectorSettings): Connector };
      taskTypes: TaskTypeCatalogue;
    },
  ) {}

  async execute(task: TaskRecord, ctx: ExecutionContext): Promise<ExecutionOutcome> {
    if (ctx.signal.aborted) throw new ProviderAborted('The task was stopped before a provider was called');
    const candidates = await this.deps.providers.candidates(task.taskType, task.providerId);
    const c = candidates[0];
    if (!c) {
      throw new ProviderRejected(
        task.providerId
          ? `The chosen provider is not active, cannot run "${task.taskType}" tasks, or has no account with budget left`
          : `No active AI provider can run "${task.taskType}" tasks (add a provider, or turn the mock provider on)`,
        { code: 'no_provider' },
      );
    }
    const type = this.deps.taskTypes.get(task.taskType);
    const model = task.options.model ?? c.defaultModel ?? undefined;
    const maxTokens = task.options.maxTokens ?? type?.defaultMaxTokens ?? FALLBACK_MAX_TOKENS;

    const assignmentId = await this.deps.assignments.start({
      taskId: task.id,
      providerId: c.providerId,
      providerName: c.name,
      accountId: c.account?.id ?? null,
      attempt: ctx.attempt,
      model: model ?? null,
    });
    ctx.onRunning(c.name);

    const started = performance.now();
    let result: GenerateResult;
    try {
      const connector = this.deps.connectors.createConnector({
        kind: c.kind,
        baseUrl: c.apiEndpoint ?? undefined,
        credentials: c.account?.credentials ?? {},
        defaultModel: c.defaultModel ?? undefined,
        timeoutMs: c.timeoutMs,
        config: c.config,
      });
      result = await connector.generate({
        taskId: task.id,
        taskType: task.taskType,
        system: type?.systemPrompt,
        prompt: task.description,
        model,
        maxTokens,
        temperature: task.options.temperature,
        signal: ctx.signal,
        attempt: ctx.attempt,
      });
    } catch (e) {
      const err: ProviderError = classifyProviderError(e, { providerKind: c.kind, callerSignal: ctx.signal });
      await this.deps.assignments.finish(assignmentId, {
        status: err instanceof ProviderAborted ? 'aborted' : 'failed',
        errorCode: errorCode(err),
        errorMessage: err.message,
        latencyMs: Math.round(performance.now() - started),
      });
      throw err;
    }

    const usage = {
      input: result.usage.inputTokens,
      output: result.usage.outputTokens,
      total: result.usage.totalTokens,
      ...(result.usage.estimated ? { estimated: true } : {}),
    };
    await this.deps.assignments.finish(assignmentId, {
      status: 'succeeded',
      model: result.model,
      tokensInput: usage.input,
      tokensOutput: usage.output,
      tokensUsed: usage.total,
      latencyMs: result.latencyMs,
    });
    return {
      text: result.text,
      model: result.model,
      providerId: c.providerId,
      providerName: c.name,
      accountId: c.account?.id ?? null,
      assignmentId,
      usage,
      latencyMs: result.latencyMs,
      fallbackChain: [c.name],
      ...(result.attachments?.length ? { attachments: result.attachments } : {}),
      ...(result.providerMeta ? { providerMeta: result.providerMeta } : {}),
    };
  }
}

function errorCode(err: ProviderError): string {
  if (err instanceof ProviderAborted) return 'aborted';
  if (err instanceof ProviderUnavailable) return err.info.code ?? err.info.reason;
  return err.info.code ?? 'rejected';
}
