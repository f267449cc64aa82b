import { ProviderAborted, type ProviderError, ProviderRejected, ProviderUnavailable } from '../../errors.js';
import { type CallSignals, callSignals, sleep } from '../callSignals.js';
import { classifyProviderError, fromHttpStatus } from '../classify.js';
import { configBoolean, configEnum, configNumber, configString } from '../config.js';
import { connectionTest } from '../connectionTest.js';
import type {
  Attachment,
  Connector,
  ConnectorSettings,
  GenerateRequest,
  GenerateResult,
  TestResult,
} from '../connector.js';
import { estimateInputTokens, estimateTokens, truncateToTokens } from '../tokens.js';
import { manusEvents } from './manusEvents.js';

export { ManusEventHub, type ManusWatch, manusEvents, manusTaskIdOf } from './manusEvents.js';
export {
  MANUS_SIGNATURE_HEADER,
  MANUS_TIMESTAMP_HEADER,
  type ManusWebhookFailure,
  manusSignedString,
  type VerifyManusWebhookInput,
  type VerifyManusWebhookResult,
  verifyManusWebhook,
} from './manusWebhook.js';

/**
 * Manus is an asynchronous agent, not a chat model: we create a task, follow it until it stops,
 * then read what the agent said and the files it produced. Manus API v2 over `fetch`
 * (v1 is deprecated upstream):
 *
 *   POST {base}/v2/task.create            {message: {content: [{type: 'text', text}]}, agent_profile, …}
 *   GET  {base}/v2/task.detail?task_id=   → task.status: running | stopped | waiting | error
 *   GET  {base}/v2/task.listMessages?task_id=&order=asc&limit=&cursor=
 *                                          → assistant_message {content, attachments[]}, error_message,
 *                                            status_update {agent_status, status_detail}
 *   POST {base}/v2/task.stop              {task_id} (best effort, when we give up on a task)
 *
 * Auth: `x-manus-api-key: <apiKey>` (an OAuth `credentials.accessToken` goes in
 * `Authorization: Bearer`). Answers are wrapped: `{ok: true, request_id, …}` or
 * `{ok: false, error: {code, message}}`; 429 carries `error.code = rate_limited`.
 *
 * States and what we do:
 * - `running` (and `pending`/`queued`/unknown) → keep waiting.
 * - `stopped` → completed: text = the last assistant message, attachments = every file the agent
 *   attached (deduplicated by URL).
 * - `waiting` → the agent needs a human. `interactive_mode` is sent as false, so this should be rare.
 *   Decision: by default (`onAsk: 'reject'`) a question (`messageAskUser`) is a ProviderRejected with
 *   code `needs_input` — the task asked for content, and a question is not content; re-running the
 *   same prompt elsewhere is the router's call, not a retry here. With `onAsk: 'complete'` the question
 *   comes back as the result with `finishReason: 'needs_input'`. A confirmation request for a side
 *   effect (send an email, use a browser…) is never auto-confirmed: ProviderRejected `needs_confirmation`.
 *   Either way the Manus task is stopped (best effort) so it does not hang.
 * - `error` → read `error_message`: policy/invalid-input/permission errors → ProviderRejected;
 *   anything else (including out-of-credits) → ProviderUnavailable, so the router moves on.
 *
 * Waiting: poll every `pollIntervalMs`; a verified webhook for the task (`manusEvents.notify`) wakes
 * the poller early. A failed poll (429/5xx/network) is tolerated up to `maxPollErrors` in a row
 * (a long agent run must not be abandoned over one blip), honouring Retry-After. The whole call is
 * bounded by `settings.timeoutMs` (set it to minutes for Manus); on timeout or abort the Manus task
 * is stopped (best effort) and ProviderUnavailable('timeout') / ProviderAborted is thrown.
 *
 * Usage: Manus bills credits, not tokens, so usage is estimated (prompt and answer through the
 * tokenizer, `usage.estimated: true`) and the credits go to `providerMeta.creditUsage`. The text is
 * capped at `maxTokens` (the budget reservation relies on that cap) unless `capOutput: false`.
 *
 * `settings.config`: `pollIntervalMs` (5000), `requestTimeoutMs` (30000, per HTTP call),
 * `maxPollErrors` (3), `agentProfile` (`manus-1.6`; `req.model`/`defaultModel` override),
 * `onAsk` (`reject`|`complete`), `stopOnGiveUp` (true), `capOutput` (true), `locale`, `projectId`.
 */
const DEFAULT_BASE_URL = 'https://api.manus.ai';
const KIND = 'manus';
const DONE = new Set(['stopped', 'completed', 'finished', 'succeeded', 'success']);
const WAITING = new Set(['waiting', 'ask', 'paused', 'needs_input']);
const FAILED = new Set(['error', 'failed', 'failure']);
const MESSAGE_PAGE = 50;
const MAX_MESSAGE_PAGES = 20;

interface ManusMessage {
  id?: string;
  type?: string;
  assistant_message?: { content?: string; attachments?: ManusFile[] };
  error_message?: { error_type?: string; content?: string };
  status_update?: {
    agent_status?: string;
    status_detail?: { waiting_for_event_type?: string; waiting_description?: string };
    brief?: string;
  };
}

interface ManusFile {
  type?: string;
  filename?: string;
  file_name?: string;
  url?: string;
  content_type?: string;
  size_bytes?: number;
}

export function createManusConnector(settings: ConnectorSettings): Connector {
  const cfg = settings.config;
  const apiKey = typeof settings.credentials.apiKey === 'string' ? settings.credentials.apiKey : undefined;
  const accessToken =
    typeof settings.credentials.accessToken === 'string' ? settings.credentials.accessToken : undefined;
  const base = (settings.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '').replace(/\/v[12]$/, '');
  const pollIntervalMs = configNumber(cfg, 'pollIntervalMs', 5000, 1, 600_000);
  const requestTimeoutMs = configNumber(cfg, 'requestTimeoutMs', 30_000, 1, 600_000);
  const maxPollErrors = configNumber(cfg, 'maxPollErrors', 3, 0, 100);
  const onAsk = configEnum(cfg, 'onAsk', ['reject', 'complete'] as const, 'reject');
  const stopOnGiveUp = configBoolean(cfg, 'stopOnGiveUp', true);
  const capOutput = configBoolean(cfg, 'capOutput', true);
  const secrets = [apiKey, accessToken];

  function authHeaders(): Record<string, string> {
    if (accessToken) return { authorization: `Bearer ${accessToken}` };
    if (apiKey) return { 'x-manus-api-key': apiKey };
    throw new ProviderRejected('manus: an API key is required', {
      code: 'misconfigured',
      providerKind: KIND,
    });
  }

  /** One HTTP call to the Manus API: returns the parsed `{ok: true, …}` body or throws a provider error. */
  async function call<T>(
    method: 'GET' | 'POST',
    path: string,
    opts: { query?: Record<string, string>; body?: unknown; signals: CallSignals; extraSecrets?: string[] },
  ): Promise<T> {
    const url = new URL(`${base}${path}`);
    for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v);
    const perRequest = AbortSignal.timeout(requestTimeoutMs);
    const ctx = {
      providerKind: KIND,
      callerSignal: opts.signals.caller,
      deadlineSignal: opts.signals.deadline,
      secrets: [...secrets, ...(opts.extraSecrets ?? [])],
    };
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, {
        method,
        headers: {
          accept: 'application/json',
          ...authHeaders(),
          ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal: AbortSignal.any([opts.signals.signal, perRequest]),
      });
      text = await res.text();
    } catch (err) {
      if (perRequest.aborted && !opts.signals.signal.aborted) {
        throw new ProviderUnavailable('manus: timed out', { reason: 'timeout', providerKind: KIND });
      }
      throw classifyProviderError(err, ctx);
    }
    let body: Record<string, unknown> = {};
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      if (res.ok)
        throw new ProviderUnavailable('manus: unreadable answer', { reason: 'other', providerKind: KIND });
    }
    if (!res.ok) throw fromHttpStatus(res.status, { error: body, headers: res.headers }, ctx);
    if (body.ok === false) throw fromManusErrorBody(body, res.headers, ctx);
    return body as T;
  }

  async function stopTask(taskId: string): Promise<void> {
    if (!stopOnGiveUp) return;
    const signals = callSignals(undefined, Math.min(requestTimeoutMs, 5000));
    await call('POST', '/v2/task.stop', { body: { task_id: taskId }, signals }).catch(() => undefined);
  }

  async function status(taskId: string, signals: CallSignals): Promise<string> {
    const detail = await call<{ task?: { status?: string } }>('GET', '/v2/task.detail', {
      query: { task_id: taskId },
      signals,
    });
    const s = detail.task?.status;
    if (typeof s === 'string' && s) return s.toLowerCase();
    // No status in the detail answer: fall back to the newest status_update event.
    const page = await call<{ messages?: ManusMessage[] }>('GET', '/v2/task.listMessages', {
      query: { task_id: taskId, order: 'desc', limit: '20' },
      signals,
    });
    const update = (page.messages ?? []).find((m) => m.status_update?.agent_status);
    return update?.status_update?.agent_status?.toLowerCase() ?? 'running';
  }

  async function messages(taskId: string, signals: CallSignals): Promise<ManusMessage[]> {
    const all: ManusMessage[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_MESSAGE_PAGES; page++) {
      const res = await call<{ messages?: ManusMessage[]; has_more?: boolean; next_cursor?: string }>(
        'GET',
        '/v2/task.listMessages',
        {
          query: {
            task_id: taskId,
            order: 'asc',
            limit: String(MESSAGE_PAGE),
            ...(cursor ? { cursor } : {}),
          },
          signals,
        },
      );
      all.push(...(res.messages ?? []));
      if (!res.has_more || !res.next_cursor) break;
      cursor = res.next_cursor;
    }
    return all;
  }

  async function generate(req: GenerateRequest): Promise<GenerateResult> {
    const signals = callSignals(req.signal, settings.timeoutMs);
    const ctx = { providerKind: KIND, callerSignal: req.signal, deadlineSignal: signals.deadline, secrets };
    const profile = req.model ?? settings.defaultModel ?? configString(cfg, 'agentProfile') ?? 'manus-1.6';
    const promptText = req.system ? `${req.system}\n\n${req.prompt}` : req.prompt;
    const promptSecrets = [req.prompt, req.system].filter((s): s is string => !!s);
    let taskId: string | undefined;
    let watch: ReturnType<typeof manusEvents.watch> | undefined;

    try {
      if (req.signal?.aborted) throw new ProviderAborted('manus: the call was aborted');
      authHeaders();
      req.onRequestStart?.();
      const started = performance.now();
      const created = await call<{ task_id?: string; task_url?: string; task_title?: string }>(
        'POST',
        '/v2/task.create',
        {
          body: {
            message: { content: [{ type: 'text', text: promptText }] },
            agent_profile: profile,
            interactive_mode: false,
            hide_in_task_list: true,
            ...(configString(cfg, 'locale') ? { locale: configString(cfg, 'locale') } : {}),
            ...(configString(cfg, 'projectId') ? { project_id: configString(cfg, 'projectId') } : {}),
          },
          signals,
          extraSecrets: promptSecrets,
        },
      );
      if (!created.task_id) {
        throw new ProviderUnavailable('manus: task.create answered without a task id', {
          reason: 'other',
          providerKind: KIND,
        });
      }
      taskId = created.task_id;
      watch = manusEvents.watch(taskId);

      let state = 'running';
      let pollErrors = 0;
      let delay = pollIntervalMs;
      while (true) {
        await sleep(delay, signals.signal, watch.next());
        delay = pollIntervalMs;
        try {
          state = await status(taskId, signals);
          pollErrors = 0;
        } catch (err) {
          const e = err as ProviderError;
          if (!(e instanceof ProviderUnavailable) || signals.signal.aborted || ++pollErrors > maxPollErrors)
            throw e;
          delay = Math.max(pollIntervalMs, e.info.retryAfterMs ?? 0);
          continue;
        }
        // running/pending and states we do not know yet: keep waiting until the deadline.
        if (DONE.has(state) || WAITING.has(state) || FAILED.has(state)) break;
      }

      const events = await messages(taskId, signals);
      const detail = await call<{ task?: { credit_usage?: number; task_url?: string } }>(
        'GET',
        '/v2/task.detail',
        {
          query: { task_id: taskId },
          signals,
        },
      ).catch(() => ({}) as { task?: { credit_usage?: number; task_url?: string } });
      const meta: Record<string, unknown> = {
        manusTaskId: taskId,
        taskUrl: detail.task?.task_url ?? created.task_url,
        creditUsage: detail.task?.credit_usage,
        state,
      };

      if (FAILED.has(state)) throw failure(events);
      if (WAITING.has(state)) {
        const waitingFor = [...events].reverse().find((m) => m.status_update?.agent_status === 'waiting')
          ?.status_update?.status_detail?.waiting_for_event_type;
        const question = lastAssistant(events)?.content ?? '';
        const isQuestion = !waitingFor || waitingFor === 'messageAskUser';
        if (isQuestion && onAsk === 'complete') {
          return result(req, {
            text: question,
            attachments: [],
            finishReason: 'needs_input',
            profile,
            started,
            meta,
          });
        }
        await stopTask(taskId);
        throw isQuestion
          ? new ProviderRejected('manus: the agent stopped to ask for more input', {
              code: 'needs_input',
              providerKind: KIND,
            })
          : new ProviderRejected(
              `manus: the agent is waiting for a confirmation we do not give (${safeToken(waitingFor)})`,
              { code: 'needs_confirmation', providerKind: KIND },
            );
      }

      const last = lastAssistant(events);
      return result(req, {
        text: last?.content ?? '',
        attachments: attachmentsOf(events),
        finishReason: 'stop',
        profile,
        started,
        meta,
      });
    } catch (err) {
      const e = classifyProviderError(err, ctx);
      if (
        taskId &&
        (e instanceof ProviderAborted || (e instanceof ProviderUnavailable && e.info.reason === 'timeout'))
      ) {
        await stopTask(taskId);
      }
      throw e;
    } finally {
      watch?.close();
    }
  }

  function result(
    req: GenerateRequest,
    r: {
      text: string;
      attachments: Attachment[];
      finishReason: string;
      profile: string;
      started: number;
      meta: Record<string, unknown>;
    },
  ): GenerateResult {
    let text = r.text;
    let finishReason = r.finishReason;
    if (capOutput) {
      const cut = truncateToTokens(text, req.maxTokens);
      if (cut.truncated) finishReason = 'length';
      text = cut.text;
    }
    const inputTokens = estimateInputTokens(req);
    const outputTokens = estimateTokens(text);
    return {
      text,
      model: r.profile,
      usage: { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens, estimated: true },
      latencyMs: Math.round(performance.now() - r.started),
      finishReason,
      providerRequestId: String(r.meta.manusTaskId),
      ...(r.attachments.length ? { attachments: r.attachments } : {}),
      providerMeta: Object.fromEntries(Object.entries(r.meta).filter(([, v]) => v !== undefined)),
    };
  }

  async function test(signal?: AbortSignal): Promise<TestResult> {
    return connectionTest({
      providerKind: KIND,
      signal,
      timeoutMs: Math.min(settings.timeoutMs, requestTimeoutMs),
      secrets,
      model: settings.defaultModel ?? configString(cfg, 'agentProfile') ?? 'manus-1.6',
      probe: (signals) => call('GET', '/v2/task.list', { query: { limit: '1' }, signals }),
    });
  }

  return { kind: KIND, generate, test };
}

// ---------------------------------------------------------------------------------------------

function isType(m: ManusMessage, type: 'assistant_message' | 'error_message' | 'status_update'): boolean {
  return m.type === type || (m.type === undefined && m[type] !== undefined);
}

function lastAssistant(events: ManusMessage[]): { content?: string; attachments?: ManusFile[] } | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const m = events[i]!;
    if (isType(m, 'assistant_message') && m.assistant_message) return m.assistant_message;
  }
  return undefined;
}

function attachmentsOf(events: ManusMessage[]): Attachment[] {
  const seen = new Set<string>();
  const out: Attachment[] = [];
  for (const m of events) {
    if (!isType(m, 'assistant_message')) continue;
    for (const f of m.assistant_message?.attachments ?? []) {
      const key = f.url ?? f.filename ?? f.file_name;
      if (!key || seen.has(key)) continue;
      seen.add(key);
      const a: Attachment = { name: f.filename ?? f.file_name ?? 'attachment' };
      if (f.url) a.url = f.url;
      if (f.content_type) a.contentType = f.content_type;
      if (typeof f.size_bytes === 'number') a.sizeBytes = f.size_bytes;
      out.push(a);
    }
  }
  return out;
}

/** The task ended in `error`: refuse for policy/input/permission problems, otherwise "unavailable". */
function failure(events: ManusMessage[]): ProviderError {
  const err = [...events].reverse().find((m) => isType(m, 'error_message') && m.error_message)?.error_message;
  const type = safeToken(err?.error_type);
  if (/polic|moderat|safety|content|invalid|argument|permission|forbidden|unauth|not_found/i.test(type)) {
    return new ProviderRejected(`manus: the task failed (${type})`, { code: type, providerKind: KIND });
  }
  return new ProviderUnavailable(`manus: the task failed (${type || 'unknown error'})`, {
    reason: 'server_error',
    code: type || undefined,
    providerKind: KIND,
  });
}

/** Map a `{ok: false, error: {code, message}}` answer that came with a 2xx status. */
function fromManusErrorBody(
  body: Record<string, unknown>,
  headers: Headers,
  ctx: Parameters<typeof fromHttpStatus>[2],
): ProviderError {
  const code = String((body.error as Record<string, unknown> | undefined)?.code ?? '').toLowerCase();
  let status = 502;
  if (code === 'rate_limited' || code === 'resource_exhausted') status = 429;
  else if (/unauth/.test(code)) status = 401;
  else if (/permission|forbidden/.test(code)) status = 403;
  else if (/invalid|not_found|failed_precondition/.test(code)) status = 400;
  return fromHttpStatus(status, { error: body, headers }, ctx);
}

function safeToken(s: string | undefined): string {
  return (s ?? '').replace(/[^A-Za-z0-9_.:-]/g, '').slice(0, 64);
}
