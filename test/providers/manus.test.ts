import type http from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ProviderAborted, ProviderRejected, ProviderUnavailable } from '../../src/core/errors.js';
import type { ConnectorSettings, GenerateRequest } from '../../src/core/providers/connector.js';
import {
  createManusConnector,
  manusEvents,
  manusTaskIdOf,
} from '../../src/core/providers/connectors/manus.js';
import {
  closedPortUrl,
  delay,
  type RecordedRequest,
  type StubServer,
  sendJson,
  startStubServer,
} from '../helpers/stubServer.js';
import { expectNoSecrets, rejectionOf } from './wire.js';

/**
 * A stub of the Manus API v2: task.create, task.detail (scripted status sequence),
 * task.listMessages (cursor pagination), task.stop. Auth: x-manus-api-key.
 */
const KEY = 'manus-key-0123456789abcdef';
const PROMPT = 'Research the history of lighthouse keepers on the northern coast';

interface Scenario {
  /** Statuses returned by successive task.detail calls; the last one repeats. */
  statuses: string[];
  messages: unknown[];
  /** Override a route: return true when handled. */
  override?: (req: RecordedRequest, res: http.ServerResponse) => boolean | Promise<boolean>;
}

let stub: StubServer;
let scenario: Scenario;
let detailCalls = 0;

beforeAll(async () => {
  stub = await startStubServer(async (req, res) => {
    if (req.headers['x-manus-api-key'] !== KEY) {
      return sendJson(res, 401, {
        ok: false,
        request_id: 'r',
        error: { code: 'unauthenticated', message: `bad key ${req.headers['x-manus-api-key']}` },
      });
    }
    if (await scenario.override?.(req, res)) return;
    if (req.method === 'POST' && req.path === '/v2/task.create') {
      return sendJson(res, 200, {
        ok: true,
        request_id: 'r1',
        task_id: 'task_abc',
        task_title: 'Lighthouses',
        task_url: 'https://manus.im/app/task_abc',
      });
    }
    if (req.method === 'GET' && req.path === '/v2/task.detail') {
      const status = scenario.statuses[Math.min(detailCalls, scenario.statuses.length - 1)];
      detailCalls++;
      return sendJson(res, 200, {
        ok: true,
        request_id: 'r2',
        task: {
          id: req.query.get('task_id'),
          status,
          credit_usage: 42,
          task_url: 'https://manus.im/app/task_abc',
          title: 'Lighthouses',
        },
      });
    }
    if (req.method === 'GET' && req.path === '/v2/task.listMessages') {
      const limit = Number(req.query.get('limit') ?? '50');
      const from = Number(req.query.get('cursor') ?? '0');
      const all = req.query.get('order') === 'desc' ? [...scenario.messages].reverse() : scenario.messages;
      const page = all.slice(from, from + limit);
      const more = from + limit < all.length;
      return sendJson(res, 200, {
        ok: true,
        request_id: 'r3',
        task_id: req.query.get('task_id'),
        messages: page,
        has_more: more,
        ...(more ? { next_cursor: String(from + limit) } : {}),
      });
    }
    if (req.method === 'POST' && req.path === '/v2/task.stop')
      return sendJson(res, 200, { ok: true, request_id: 'r4' });
    return undefined;
  });
});
afterAll(() => stub.close());
afterEach(() => {
  stub.reset();
  detailCalls = 0;
});

const userMsg = {
  id: 'm0',
  type: 'user_message',
  timestamp: 1,
  user_message: { content: PROMPT, message_type: 'text' },
};
const statusMsg = (agent_status: string, detail?: Record<string, unknown>) => ({
  id: `s-${agent_status}`,
  type: 'status_update',
  timestamp: 2,
  status_update: { agent_status, ...(detail ? { status_detail: detail } : {}), brief: agent_status },
});
const assistant = (content: string, attachments: unknown[] = []) => ({
  id: `a-${content.length}`,
  type: 'assistant_message',
  timestamp: 3,
  assistant_message: { content, attachments },
});

const REPORT = '# Lighthouse keepers\n\nKeepers lived on the rocks for months at a time.';
const PDF = {
  type: 'file',
  filename: 'report.pdf',
  url: 'https://files.manus.im/report.pdf',
  content_type: 'application/pdf',
};

function settings(over: Partial<ConnectorSettings> = {}): ConnectorSettings {
  return {
    kind: 'manus',
    baseUrl: stub.url,
    credentials: { apiKey: KEY },
    timeoutMs: 5000,
    config: { pollIntervalMs: 5 },
    ...over,
  };
}

function request(over: Partial<GenerateRequest> = {}): GenerateRequest {
  return { taskId: 't1', taskType: 'research', prompt: PROMPT, maxTokens: 2000, ...over };
}

const paths = () => stub.requests.map((r) => `${r.method} ${r.path}`);

describe('manus connector: task lifecycle', () => {
  it('running → stopped: text of the last assistant message, files as attachments, estimated usage', async () => {
    scenario = {
      statuses: ['running', 'running', 'stopped'],
      messages: [
        userMsg,
        statusMsg('running'),
        assistant('Starting research…'),
        assistant(REPORT, [PDF]),
        statusMsg('stopped'),
      ],
    };
    let started = 0;
    const r = await createManusConnector(settings()).generate(
      request({ system: 'Cite sources.', onRequestStart: () => started++ }),
    );
    expect(started).toBe(1);
    expect(r.text).toBe(REPORT);
    expect(r.attachments).toEqual([{ name: 'report.pdf', url: PDF.url, contentType: 'application/pdf' }]);
    expect(r.model).toBe('manus-1.6');
    expect(r.finishReason).toBe('stop');
    expect(r.providerRequestId).toBe('task_abc');
    expect(r.usage.estimated).toBe(true);
    expect(r.usage.inputTokens).toBeGreaterThan(5);
    expect(r.usage.outputTokens).toBeGreaterThan(5);
    expect(r.providerMeta).toMatchObject({
      manusTaskId: 'task_abc',
      creditUsage: 42,
      taskUrl: 'https://manus.im/app/task_abc',
    });

    const create = stub.requests[0]!;
    expect(create.path).toBe('/v2/task.create');
    expect(create.headers['x-manus-api-key']).toBe(KEY);
    expect(create.json()).toMatchObject({
      message: { content: [{ type: 'text', text: `Cite sources.\n\n${PROMPT}` }] },
      agent_profile: 'manus-1.6',
      interactive_mode: false,
    });
    expect(stub.count((q) => q.path === '/v2/task.create')).toBe(1);
    expect(stub.count((q) => q.path === '/v2/task.detail')).toBeGreaterThanOrEqual(3);
    expect(stub.count((q) => q.path === '/v2/task.stop')).toBe(0);
  });

  it('follows listMessages pagination to collect every attachment', async () => {
    const many = Array.from({ length: 60 }, (_, i) =>
      assistant(`step ${i}`, [{ ...PDF, filename: `f${i}.txt`, url: `https://files.manus.im/f${i}.txt` }]),
    );
    scenario = { statuses: ['stopped'], messages: [userMsg, ...many, assistant(REPORT, [PDF])] };
    const r = await createManusConnector(settings()).generate(request());
    expect(r.text).toBe(REPORT);
    expect(r.attachments).toHaveLength(61);
    expect(stub.count((q) => q.path === '/v2/task.listMessages')).toBe(2);
  });

  it('caps the text at maxTokens (finishReason length)', async () => {
    scenario = { statuses: ['stopped'], messages: [assistant('word '.repeat(500))] };
    const r = await createManusConnector(settings()).generate(request({ maxTokens: 20 }));
    expect(r.finishReason).toBe('length');
    expect(r.usage.outputTokens).toBeLessThanOrEqual(20);
  });

  it('error state → ProviderUnavailable server_error; a policy error → ProviderRejected', async () => {
    scenario = {
      statuses: ['running', 'error'],
      messages: [
        userMsg,
        {
          id: 'e1',
          type: 'error_message',
          error_message: { error_type: 'internal_error', content: 'sandbox crashed' },
        },
        statusMsg('error'),
      ],
    };
    const e1 = await rejectionOf(createManusConnector(settings()).generate(request()));
    expect(e1).toBeInstanceOf(ProviderUnavailable);
    expect((e1 as ProviderUnavailable).info).toMatchObject({
      reason: 'server_error',
      code: 'internal_error',
      providerKind: 'manus',
    });

    detailCalls = 0;
    scenario = {
      statuses: ['error'],
      messages: [
        {
          id: 'e2',
          type: 'error_message',
          error_message: { error_type: 'content_policy_violation', content: `refused: ${PROMPT}` },
        },
      ],
    };
    const e2 = await rejectionOf(createManusConnector(settings()).generate(request()));
    expect(e2).toBeInstanceOf(ProviderRejected);
    expect((e2 as ProviderRejected).info.code).toBe('content_policy_violation');
    expectNoSecrets(e2, [KEY, PROMPT]);
  });

  it('waiting for input (messageAskUser) → ProviderRejected needs_input, and the Manus task is stopped', async () => {
    scenario = {
      statuses: ['running', 'waiting'],
      messages: [
        userMsg,
        assistant('Which coast do you mean, north-east or north-west?'),
        statusMsg('waiting', {
          waiting_for_event_id: 'evt1',
          waiting_for_event_type: 'messageAskUser',
          waiting_description: 'question',
        }),
      ],
    };
    const e = await rejectionOf(createManusConnector(settings()).generate(request()));
    expect(e).toBeInstanceOf(ProviderRejected);
    expect((e as ProviderRejected).info.code).toBe('needs_input');
    const stop = stub.requests.find((q) => q.path === '/v2/task.stop');
    expect(stop?.json()).toEqual({ task_id: 'task_abc' });
  });

  it('with onAsk: complete the question comes back as the result (finishReason needs_input)', async () => {
    scenario = {
      statuses: ['waiting'],
      messages: [
        assistant('Which coast do you mean?'),
        statusMsg('waiting', { waiting_for_event_type: 'messageAskUser' }),
      ],
    };
    const r = await createManusConnector(
      settings({ config: { pollIntervalMs: 5, onAsk: 'complete' } }),
    ).generate(request());
    expect(r).toMatchObject({ text: 'Which coast do you mean?', finishReason: 'needs_input' });
  });

  it('a confirmation request (side effect) is never auto-confirmed → needs_confirmation', async () => {
    scenario = {
      statuses: ['waiting'],
      messages: [
        statusMsg('waiting', {
          waiting_for_event_type: 'gmailSendAction',
          waiting_description: 'Send email',
        }),
      ],
    };
    const e = await rejectionOf(createManusConnector(settings()).generate(request()));
    expect((e as ProviderRejected).info.code).toBe('needs_confirmation');
    expect(stub.count((q) => q.method === 'POST' && q.path.includes('confirm'))).toBe(0);
  });

  it('a webhook notify wakes the poller long before its interval', async () => {
    scenario = { statuses: ['stopped'], messages: [assistant(REPORT)] };
    const p = createManusConnector(
      settings({ timeoutMs: 20_000, config: { pollIntervalMs: 60_000 } }),
    ).generate(request());
    await vi.waitFor(() => expect(stub.count((q) => q.path === '/v2/task.create')).toBe(1));
    await vi.waitFor(() => expect(manusEvents.notify('task_abc', { event_type: 'task_stopped' })).toBe(true));
    const r = await p;
    expect(r.text).toBe(REPORT);
    expect(manusEvents.size).toBe(0); // the watch is released
  });

  it('a transient poll failure is tolerated (Manus keeps working; no duplicate task)', async () => {
    let failed = false;
    scenario = {
      statuses: ['stopped'],
      messages: [assistant(REPORT)],
      override: (req, res) => {
        if (req.path === '/v2/task.detail' && !failed) {
          failed = true;
          sendJson(
            res,
            503,
            { ok: false, error: { code: 'unavailable', message: 'try later' } },
            { 'retry-after-ms': '5' },
          );
          return true;
        }
        return false;
      },
    };
    const r = await createManusConnector(settings()).generate(request());
    expect(r.text).toBe(REPORT);
    expect(stub.count((q) => q.path === '/v2/task.create')).toBe(1);
  });
});

describe('manus connector: failures', () => {
  it('429 on create → rate_limit with retryAfterMs, exactly one create', async () => {
    scenario = {
      statuses: ['running'],
      messages: [],
      override: (req, res) => {
        if (req.path !== '/v2/task.create') return false;
        sendJson(
          res,
          429,
          { ok: false, request_id: 'r', error: { code: 'rate_limited', message: 'Rate limit exceeded.' } },
          { 'retry-after': '3' },
        );
        return true;
      },
    };
    const e = await rejectionOf(createManusConnector(settings()).generate(request()));
    expect(e).toBeInstanceOf(ProviderUnavailable);
    expect((e as ProviderUnavailable).info).toMatchObject({
      reason: 'rate_limit',
      status: 429,
      code: 'rate_limited',
      retryAfterMs: 3000,
    });
    expect(paths()).toEqual(['POST /v2/task.create']);
  });

  it('500 on create → server_error', async () => {
    scenario = {
      statuses: ['running'],
      messages: [],
      override: (req, res) => {
        if (req.path !== '/v2/task.create') return false;
        sendJson(res, 500, { ok: false, error: { code: 'internal', message: 'boom' } });
        return true;
      },
    };
    const e = await rejectionOf(createManusConnector(settings()).generate(request()));
    expect((e as ProviderUnavailable).info).toMatchObject({ reason: 'server_error', status: 500 });
    expect(stub.requests).toHaveLength(1);
  });

  it('400 on create → ProviderRejected; an {ok:false} body with a 200 is honoured too', async () => {
    scenario = {
      statuses: ['running'],
      messages: [],
      override: (req, res) => {
        if (req.path !== '/v2/task.create') return false;
        sendJson(res, 200, {
          ok: false,
          request_id: 'r',
          error: { code: 'invalid_argument', message: 'message.content is required' },
        });
        return true;
      },
    };
    const e = await rejectionOf(createManusConnector(settings()).generate(request()));
    expect(e).toBeInstanceOf(ProviderRejected);
    expect((e as ProviderRejected).info.code).toBe('invalid_argument');
  });

  it('401 → ProviderRejected; the key is not in the message', async () => {
    scenario = { statuses: ['running'], messages: [] };
    const e = await rejectionOf(
      createManusConnector(settings({ credentials: { apiKey: `${KEY}-wrong` } })).generate(request()),
    );
    expect(e).toBeInstanceOf(ProviderRejected);
    expect((e as ProviderRejected).info.status).toBe(401);
    expectNoSecrets(e, [KEY]);
  });

  it('connection refused → connection', async () => {
    const e = await rejectionOf(
      createManusConnector(settings({ baseUrl: await closedPortUrl() })).generate(request()),
    );
    expect(e).toBeInstanceOf(ProviderUnavailable);
    expect((e as ProviderUnavailable).info.reason).toBe('connection');
    expectNoSecrets(e, [KEY, PROMPT]);
  });

  it('a task that outlives timeoutMs → timeout, and the Manus task is stopped', async () => {
    scenario = { statuses: ['running'], messages: [] };
    const e = await rejectionOf(
      createManusConnector(settings({ timeoutMs: 150, config: { pollIntervalMs: 20 } })).generate(request()),
    );
    expect(e).toBeInstanceOf(ProviderUnavailable);
    expect((e as ProviderUnavailable).info.reason).toBe('timeout');
    expect(stub.count((q) => q.path === '/v2/task.stop')).toBe(1);
  });

  it('a slow HTTP answer → timeout (requestTimeoutMs)', async () => {
    scenario = {
      statuses: ['running'],
      messages: [],
      override: async (req, res) => {
        if (req.path !== '/v2/task.create') return false;
        await delay(2000, res);
        sendJson(res, 200, { ok: true, task_id: 'late' });
        return true;
      },
    };
    const e = await rejectionOf(
      createManusConnector(settings({ config: { requestTimeoutMs: 100 } })).generate(request()),
    );
    expect((e as ProviderUnavailable).info.reason).toBe('timeout');
  });

  it('our AbortSignal → ProviderAborted, and the Manus task is stopped', async () => {
    scenario = { statuses: ['running'], messages: [] };
    const ac = new AbortController();
    const p = createManusConnector(settings({ config: { pollIntervalMs: 10 } })).generate(
      request({ signal: ac.signal }),
    );
    await vi.waitFor(() => expect(stub.count((q) => q.path === '/v2/task.detail')).toBeGreaterThan(0));
    ac.abort();
    expect(await rejectionOf(p)).toBeInstanceOf(ProviderAborted);
    expect(stub.count((q) => q.path === '/v2/task.stop')).toBe(1);
    expect(stub.count((q) => q.path === '/v2/task.create')).toBe(1);
  });

  it('no key → rejected before any request', async () => {
    const e = await rejectionOf(createManusConnector(settings({ credentials: {} })).generate(request()));
    expect(e).toBeInstanceOf(ProviderRejected);
    expect((e as ProviderRejected).info.code).toBe('misconfigured');
    expect(stub.requests).toHaveLength(0);
  });

  it('an already-aborted signal makes no request', async () => {
    scenario = { statuses: ['running'], messages: [] };
    const e = await rejectionOf(
      createManusConnector(settings()).generate(request({ signal: AbortSignal.abort() })),
    );
    expect(e).toBeInstanceOf(ProviderAborted);
    expect(stub.requests).toHaveLength(0);
  });
});

describe('manusEvents', () => {
  it('ignores unknown task ids and remembers a notify that arrives between waits', async () => {
    expect(manusEvents.notify('nobody-watches', {})).toBe(false);
    expect(manusEvents.size).toBe(0);
    const w = manusEvents.watch('t-x');
    expect(manusEvents.notify('t-x', { n: 1 })).toBe(true);
    await expect(w.next()).resolves.toEqual({ n: 1 });
    expect(w.lastPayload).toEqual({ n: 1 });
    w.close();
    expect(manusEvents.size).toBe(0);
  });

  it('finds the task id in webhook payloads', () => {
    expect(manusTaskIdOf({ event_type: 'task_stopped', task_detail: { task_id: 'a1' } })).toBe('a1');
    expect(manusTaskIdOf({ event_type: 'task_progress', progress_detail: { task_id: 'a2' } })).toBe('a2');
    expect(manusTaskIdOf({ task_id: 'a3' })).toBe('a3');
    expect(manusTaskIdOf('nope')).toBeUndefined();
  });
});
