import type http from 'node:http';
import {
  type RecordedRequest,
  type StubServer,
  sendJson,
  sendSse,
  startStubServer,
} from '../helpers/stubServer.js';

/**
 * Provider stubs on 127.0.0.1 in the official APIs' shapes (see PLATFORM-TESTING.md): an
 * OpenAI-compatible server and an Anthropic messages server. The requested model picks the
 * behaviour, so one stub serves every scenario:
 *   fail-model → 500 · limited-model → 429 Retry-After: 7 · cut-model → a stream cut after its first chunk.
 */
export async function startOpenAIStub(): Promise<StubServer> {
  return startStubServer((req, res) => openAIHandler(req, res));
}

const chunk = (model: string, delta: unknown, finish: string | null = null) => ({
  id: 'chatcmpl-stub',
  object: 'chat.completion.chunk',
  created: 1,
  model,
  choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  usage: null,
});

export async function openAIHandler(req: RecordedRequest, res: http.ServerResponse) {
  if (req.path === '/v1/embeddings') {
    const body = req.json();
    const inputs = Array.isArray(body.input) ? body.input : [body.input];
    return sendJson(res, 200, {
      object: 'list',
      model: body.model,
      data: inputs.map((_: unknown, i: number) => ({
        object: 'embedding',
        index: i,
        embedding: [0.1, 0.2, 0.3],
      })),
      usage: { prompt_tokens: 5 * inputs.length, total_tokens: 5 * inputs.length },
    });
  }
  if (req.path !== '/v1/chat/completions') return sendJson(res, 404, { error: { message: 'no such path' } });
  const body = req.json();
  const model: string = body.model;
  if (model === 'fail-model')
    return sendJson(res, 500, { error: { message: 'the stub is down', type: 'server_error', code: null } });
  if (model === 'limited-model')
    return sendJson(
      res,
      429,
      { error: { message: 'slow down', type: 'requests', code: 'rate_limit_exceeded' } },
      { 'retry-after': '7' },
    );
  if (model === 'bad-request-model')
    return sendJson(res, 400, {
      error: { message: 'messages is wrong', type: 'invalid_request_error', code: 'bad_messages' },
    });
  const tool = Array.isArray(body.tools) && body.tools.length > 0;
  if (body.stream) {
    const usage = { prompt_tokens: 11, completion_tokens: 2, total_tokens: 13 };
    if (model === 'cut-model')
      return sendSse(res, [
        { data: chunk(model, { role: 'assistant', content: 'Hel' }) },
        { pauseMs: 20 },
        { cut: true },
      ]);
    return sendSse(res, [
      { data: chunk(model, { role: 'assistant', content: '' }) },
      ...(tool
        ? [
            {
              data: chunk(model, {
                tool_calls: [
                  {
                    index: 0,
                    id: 'call_1',
                    type: 'function',
                    function: { name: 'get_weather', arguments: '{"city":' },
                  },
                ],
              }),
            },
            { data: chunk(model, { tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }) },
            { data: chunk(model, {}, 'tool_calls') },
          ]
        : [
            { data: chunk(model, { content: 'Hel' }) },
            { data: chunk(model, { content: 'lo' }) },
            { data: chunk(model, {}, 'stop') },
          ]),
      ...(body.stream_options?.include_usage
        ? [
            {
              data: {
                id: 'chatcmpl-stub',
                object: 'chat.completion.chunk',
                created: 1,
                model,
                choices: [],
                usage,
              },
            },
          ]
        : []),
      { data: '[DONE]' },
    ]);
  }
  return sendJson(res, 200, {
    id: 'chatcmpl-stub',
    object: 'chat.completion',
    created: 1,
    model,
    choices: [
      {
        index: 0,
        message: tool
          ? {
              role: 'assistant',
              content: null,
              refusal: null,
              tool_calls: [
                {
                  id: 'call_1',
                  type: 'function',
                  function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
                },
              ],
            }
          : {
              role: 'assistant',
              content: body.response_format?.type === 'json_object' ? '{"ok":true}' : 'Hello from the stub',
              refusal: null,
            },
        logprobs: null,
        finish_reason: tool ? 'tool_calls' : 'stop',
      },
    ],
    usage: { prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 },
  });
}

/** Anthropic's messages API (accepts x-api-key or Authorization: Bearer, as the SDK majors differ). */
export async function startAnthropicStub(): Promise<StubServer> {
  return startStubServer(async (req, res) => {
    if (req.path !== '/v1/messages')
      return sendJson(res, 404, { type: 'error', error: { type: 'not_found_error', message: 'no' } });
    const body = req.json();
    const tool = Array.isArray(body.tools) && body.tools.length > 0;
    const message = {
      id: 'msg_stub',
      type: 'message',
      role: 'assistant',
      model: body.model,
      content: tool
        ? [
            { type: 'text', text: 'Let me look.' },
            { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
          ]
        : [{ type: 'text', text: 'Hello from Claude' }],
      stop_reason: tool ? 'tool_use' : 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 21, output_tokens: 6 },
    };
    if (!body.stream) return sendJson(res, 200, message);
    return sendSse(res, [
      {
        event: 'message_start',
        data: {
          type: 'message_start',
          message: {
            ...message,
            content: [],
            stop_reason: null,
            usage: { input_tokens: 21, output_tokens: 1 },
          },
        },
      },
      {
        event: 'content_block_start',
        data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      },
      {
        event: 'content_block_delta',
        data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello ' } },
      },
      {
        event: 'content_block_delta',
        data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'from Claude' } },
      },
      { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
      ...(tool
        ? [
            {
              event: 'content_block_start',
              data: {
                type: 'content_block_start',
                index: 1,
                content_block: { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: {} },
              },
            },
            {
              event: 'content_block_delta',
              data: {
                type: 'content_block_delta',
                index: 1,
                delta: { type: 'input_json_delta', partial_json: '{"city": "Paris"}' },
              },
            },
            { event: 'content_block_stop', data: { type: 'content_block_stop', index: 1 } },
          ]
        : []),
      {
        event: 'message_delta',
        data: {
          type: 'message_delta',
          delta: { stop_reason: tool ? 'tool_use' : 'end_turn', stop_sequence: null },
          usage: { output_tokens: 6 },
        },
      },
      { event: 'message_stop', data: { type: 'message_stop' } },
    ]);
  });
}
