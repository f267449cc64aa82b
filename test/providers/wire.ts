import type http from 'node:http';
import { expect } from 'vitest';
import { type SseStep, sendJson, sendSse } from '../helpers/stubServer.js';

/** Wire formats of the real APIs, as the stubs speak them (see PLATFORM-TESTING.md §5). */

// ---------------- OpenAI Chat Completions ----------------

export function openaiCompletion(
  res: http.ServerResponse,
  o: { model?: string; content?: string | null; refusal?: string | null; finish?: string } = {},
): void {
  sendJson(
    res,
    200,
    {
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 1700000000,
      model: o.model ?? 'gpt-test',
      system_fingerprint: null,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: o.content === undefined ? 'Hello!' : o.content,
            refusal: o.refusal ?? null,
          },
          finish_reason: o.finish ?? 'stop',
          logprobs: null,
        },
      ],
      usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 },
    },
    { 'x-request-id': 'req_ok' },
  );
}

const chunkBase = {
  id: 'chatcmpl-2',
  created: 1700000000,
  model: 'gpt-test',
  system_fingerprint: null,
  object: 'chat.completion.chunk',
};

export function openaiChunk(choices: unknown[], extra: Record<string, unknown> = {}): SseStep {
  return { data: { ...chunkBase, choices, usage: null, ...extra } };
}

/** "Hel" + "lo", finish "stop", usage in a last chunk with `choices: []`, then [DONE]. */
export function openaiStreamSteps(
  o: {
    midStreamError?: boolean;
    usage?: boolean;
    finish?: string | null;
    cutAfterText?: boolean;
    stallAfterTextMs?: number;
  } = {},
): SseStep[] {
  const steps: SseStep[] = [
    openaiChunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]),
    openaiChunk([{ index: 0, delta: { content: 'Hel' }, finish_reason: null }]),
    openaiChunk([{ index: 0, delta: { content: 'lo' }, finish_reason: null }]),
  ];
  if (o.midStreamError)
    steps.push({ data: { error: { message: 'overloaded mid-stream', type: 'server_error' } } });
  if (o.cutAfterText) steps.push({ cut: true });
  if (o.stallAfterTextMs) steps.push({ pauseMs: o.stallAfterTextMs });
  if (o.finish !== null)
    steps.push(openaiChunk([{ index: 0, delta: {}, finish_reason: o.finish ?? 'stop' }]));
  if (o.usage !== false)
    steps.push(openaiChunk([], { usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 } }));
  steps.push({ data: '[DONE]' });
  return steps;
}

export function openaiStream(res: http.ServerResponse, steps = openaiStreamSteps()): Promise<void> {
  return sendSse(res, steps, { headers: { 'x-request-id': 'req_stream' } });
}

export function openaiError(
  res: http.ServerResponse,
  status: number,
  message: string,
  o: { type?: string; code?: string | null; headers?: Record<string, string> } = {},
): void {
  sendJson(
    res,
    status,
    { error: { message, type: o.type ?? 'invalid_request_error', code: o.code ?? null, param: null } },
    o.headers,
  );
}

// ---------------- Anthropic Messages ----------------

const msgBase = {
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'claude-test',
  stop_sequence: null,
};

export function anthropicMessage(res: http.ServerResponse, o: { text?: string; stop?: string } = {}): void {
  sendJson(
    res,
    200,
    {
      ...msgBase,
      content: [{ type: 'text', text: o.text ?? 'Hello!' }],
      stop_reason: o.stop ?? 'end_turn',
      usage: {
        input_tokens: 10,
        output_tokens: 3,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
      },
    },
    { 'request-id': 'req_aok' },
  );
}

export function anthropicStreamSteps(
  o: { midStreamError?: boolean; cutAfterText?: boolean; stallAfterTextMs?: number; stop?: string } = {},
): SseStep[] {
  const steps: SseStep[] = [
    {
      event: 'message_start',
      data: {
        type: 'message_start',
        message: {
          ...msgBase,
          content: [],
          stop_reason: null,
          usage: {
            input_tokens: 10,
            output_tokens: 1,
            cache_creation_input_tokens: 0,
            cache_read_input_tokens: 2,
          },
        },
      },
    },
    {
      event: 'content_block_start',
      data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    },
    { event: 'ping', data: { type: 'ping' } },
    {
      event: 'content_block_delta',
      data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hel' } },
    },
  ];
  if (o.midStreamError)
    steps.push({
      event: 'error',
      data: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
    });
  if (o.cutAfterText) steps.push({ cut: true });
  if (o.stallAfterTextMs) steps.push({ pauseMs: o.stallAfterTextMs });
  steps.push(
    {
      event: 'content_block_delta',
      data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'lo' } },
    },
    { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
    {
      event: 'message_delta',
      data: {
        type: 'message_delta',
        delta: { stop_reason: o.stop ?? 'end_turn', stop_sequence: null },
        usage: { output_tokens: 2 },
      },
    },
    {
      event: 'message_delta',
      data: {
        type: 'message_delta',
        delta: { stop_reason: null, stop_sequence: null },
        usage: { output_tokens: 5 },
      },
    },
    { event: 'message_stop', data: { type: 'message_stop' } },
  );
  return steps;
}

export function anthropicStream(res: http.ServerResponse, steps = anthropicStreamSteps()): Promise<void> {
  return sendSse(res, steps, { headers: { 'request-id': 'req_astream' } });
}

export function anthropicError(
  res: http.ServerResponse,
  status: number,
  type: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { type: 'error', error: { type, message } }, headers);
}

// ---------------- assertions ----------------

/** Await a promise that must reject; returns the error. */
export async function rejectionOf(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** The error (message, serialised fields and stack) mentions none of `secrets`. */
export function expectNoSecrets(e: unknown, secrets: string[]): void {
  const err = e as Error;
  const dump = `${err.message}\n${JSON.stringify(err)}\n${err.stack ?? ''}`;
  for (const s of secrets) expect(dump).not.toContain(s);
}
