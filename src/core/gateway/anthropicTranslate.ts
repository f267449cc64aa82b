import type { ChatMessage, ChatRequest, Meter } from './types.js';

/**
 * OpenAI chat ⇄ Anthropic messages, so a Claude account serves OpenAI clients: system and developer
 * messages become `system`; tool calls become `tool_use` blocks and tool messages `tool_result`
 * blocks; consecutive same-role turns are merged (Anthropic wants them alternating); tools,
 * tool_choice, stop and sampling parameters map over. JSON mode has no Anthropic equivalent: it
 * becomes an instruction in the system prompt.
 */
export const DEFAULT_ANTHROPIC_MAX_TOKENS = 4096;

type Block = Record<string, unknown>;

export function toAnthropicRequest(
  req: ChatRequest,
  model: string,
  stream: boolean,
): Record<string, unknown> {
  const system: string[] = [];
  const turns: Array<{ role: 'user' | 'assistant'; content: Block[] }> = [];
  const push = (role: 'user' | 'assistant', blocks: Block[]) => {
    if (!blocks.length) return;
    const last = turns.at(-1);
    if (last && last.role === role) last.content.push(...blocks);
    else turns.push({ role, content: blocks });
  };
  for (const m of req.messages) {
    if (m.role === 'system' || m.role === 'developer') system.push(textOf(m.content));
    else if (m.role === 'tool')
      push('user', [
        { type: 'tool_result', tool_use_id: String(m.tool_call_id ?? ''), content: textOf(m.content) },
      ]);
    else if (m.role === 'assistant') push('assistant', assistantBlocks(m));
    else push('user', contentBlocks(m.content));
  }
  const rf = req.response_format as { type?: string; json_schema?: { schema?: unknown } } | undefined;
  if (rf?.type === 'json_object') system.push('Respond with a single JSON object and nothing else.');
  if (rf?.type === 'json_schema')
    system.push(
      `Respond with a single JSON object that matches this JSON Schema, and nothing else: ${JSON.stringify(rf.json_schema?.schema ?? {})}`,
    );

  const out: Record<string, unknown> = {
    model,
    messages: turns,
    max_tokens: req.max_completion_tokens ?? req.max_tokens ?? DEFAULT_ANTHROPIC_MAX_TOKENS,
  };
  if (system.length) out.system = system.join('\n\n');
  if (stream) out.stream = true;
  if (typeof req.temperature === 'number') out.temperature = Math.min(1, req.temperature);
  if (typeof req.top_p === 'number') out.top_p = req.top_p;
  if (typeof req.stop === 'string') out.stop_sequences = [req.stop];
  else if (Array.isArray(req.stop)) out.stop_sequences = req.stop;
  if (typeof req.user === 'string') out.metadata = { user_id: req.user };
  const tools = req.tools as Array<{
    type?: string;
    function?: { name: string; description?: string; parameters?: unknown };
  }>;
  if (Array.isArray(tools) && tools.length) {
    out.tools = tools
      .filter((t) => t.function)
      .map((t) => ({
        name: t.function!.name,
        ...(t.function!.description ? { description: t.function!.description } : {}),
        input_schema: t.function!.parameters ?? { type: 'object', properties: {} },
      }));
    const choice = toolChoice(req.tool_choice);
    if (choice || req.parallel_tool_calls === false)
      out.tool_choice = {
        ...(choice ?? { type: 'auto' }),
        ...(req.parallel_tool_calls === false ? { disable_parallel_tool_use: true } : {}),
      };
  }
  return out;
}

function toolChoice(c: unknown): Block | undefined {
  if (c === 'auto') return { type: 'auto' };
  if (c === 'required') return { type: 'any' };
  if (c === 'none') return { type: 'none' };
  const name = (c as { function?: { name?: string } } | undefined)?.function?.name;
  return name ? { type: 'tool', name } : undefined;
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content))
    return content
      .map((p) =>
        p && typeof p === 'object' && typeof (p as Block).text === 'string' ? (p as Block).text : '',
      )
      .join('');
  return content == null ? '' : String(content);
}

function contentBlocks(content: unknown): Block[] {
  if (typeof content === 'string') return content ? [{ type: 'text', text: content }] : [];
  if (!Array.isArray(content)) return [];
  const out: Block[] = [];
  for (const p of content as Block[]) {
    if (p?.type === 'text' && typeof p.text === 'string') out.push({ type: 'text', text: p.text });
    else if (p?.type === 'image_url') {
      const url = String((p.image_url as { url?: string } | undefined)?.url ?? '');
      const m = /^data:([^;]+);base64,(.*)$/s.exec(url);
      out.push({
        type: 'image',
        source: m ? { type: 'base64', media_type: m[1], data: m[2] } : { type: 'url', url },
      });
    }
  }
  return out;
}

function assistantBlocks(m: ChatMessage): Block[] {
  const out = contentBlocks(m.content);
  for (const tc of m.tool_calls ?? []) {
    let input: unknown = {};
    try {
      input = tc.function.arguments ? JSON.parse(tc.function.arguments) : {};
    } catch {
      input = { arguments: tc.function.arguments };
    }
    out.push({ type: 'tool_use', id: tc.id, name: tc.function.name, input });
  }
  return out;
}

export function finishReason(stop: string | null | undefined): string | null {
  if (stop == null) return null;
  if (stop === 'max_tokens') return 'length';
  if (stop === 'tool_use') return 'tool_calls';
  if (stop === 'refusal') return 'content_filter';
  return 'stop';
}

interface AnthropicMessage {
  id: string;
  model: string;
  content: Array<{ type: string; text?: string; id?: string; name?: string; input?: unknown }>;
  stop_reason: string | null;
  usage?: {
    input_tokens?: number;
    output_tokens?: number;
    cache_read_input_tokens?: number;
    cache_creation_input_tokens?: number;
  };
}

const inputTokens = (u: AnthropicMessage['usage']) =>
  (u?.input_tokens ?? 0) + (u?.cache_read_input_tokens ?? 0) + (u?.cache_creation_input_tokens ?? 0);

/** An Anthropic message as an OpenAI chat.completion. */
export function fromAnthropicMessage(msg: AnthropicMessage, meter: Meter): Record<string, unknown> {
  const text = msg.content
    .filter((b) => b.type === 'text')
    .map((b) => b.text ?? '')
    .join('');
  const tools = msg.content
    .filter((b) => b.type === 'tool_use')
    .map((b) => ({
      id: b.id,
      type: 'function',
      function: { name: b.name, arguments: JSON.stringify(b.input ?? {}) },
    }));
  meter.input = inputTokens(msg.usage);
  meter.output = msg.usage?.output_tokens ?? 0;
  meter.model = msg.model;
  meter.finishReason = finishReason(msg.stop_reason);
  return {
    id: `chatcmpl-${msg.id}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: msg.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: text || (tools.length ? null : ''),
          refusal: null,
          ...(tools.length ? { tool_calls: tools } : {}),
        },
        logprobs: null,
        finish_reason: meter.finishReason ?? 'stop',
      },
    ],
    usage: {
      prompt_tokens: meter.input,
      completion_tokens: meter.output,
      total_tokens: meter.input + meter.output,
    },
  };
}

/**
 * Anthropic stream events → OpenAI chunks (as JSON text). message_start gives the id, model and input
 * tokens; text deltas and tool_use blocks (their JSON arguments in pieces) become deltas; message_delta
 * carries the stop reason and the cumulative output tokens; the usage chunk (choices: []) follows when
 * the client asked for it. An `error` event is thrown by the caller.
 */
export class AnthropicStreamTranslator {
  private id = 'chatcmpl-anthropic';
  private model = '';
  private readonly created = Math.floor(Date.now() / 1000);
  private readonly toolIndex = new Map<number, number>();
  done = false;

  constructor(
    private readonly meter: Meter,
    private readonly includeUsage: boolean,
  ) {}

  private chunk(delta: Record<string, unknown>, finish: string | null = null): string {
    return JSON.stringify({
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    });
  }

  /** The OpenAI chunks for one Anthropic event. */
  // biome-ignore lint/suspicious/noExplicitAny: provider event JSON, read field by field
  translate(type: string, ev: Record<string, any>): string[] {
    switch (type) {
      case 'message_start': {
        const m = ev.message ?? {};
        this.id = `chatcmpl-${m.id ?? 'anthropic'}`;
        this.model = m.model ?? '';
        this.meter.model = this.model;
        this.meter.input = inputTokens(m.usage);
        this.meter.output = m.usage?.output_tokens ?? 0;
        return [this.chunk({ role: 'assistant', content: '' })];
      }
      case 'content_block_start': {
        const b = ev.content_block ?? {};
        if (b.type !== 'tool_use') return [];
        const idx = this.toolIndex.size;
        this.toolIndex.set(ev.index, idx);
        return [
          this.chunk({
            tool_calls: [
              { index: idx, id: b.id, type: 'function', function: { name: b.name, arguments: '' } },
            ],
          }),
        ];
      }
      case 'content_block_delta': {
        const d = ev.delta ?? {};
        if (d.type === 'text_delta') return [this.chunk({ content: d.text ?? '' })];
        if (d.type === 'input_json_delta') {
          const idx = this.toolIndex.get(ev.index) ?? 0;
          return [
            this.chunk({ tool_calls: [{ index: idx, function: { arguments: d.partial_json ?? '' } }] }),
          ];
        }
        return [];
      }
      case 'message_delta': {
        if (typeof ev.usage?.output_tokens === 'number') this.meter.output = ev.usage.output_tokens;
        if (typeof ev.usage?.input_tokens === 'number' && ev.usage.input_tokens > 0)
          this.meter.input = inputTokens(ev.usage);
        this.meter.finishReason = finishReason(ev.delta?.stop_reason);
        return [this.chunk({}, this.meter.finishReason ?? 'stop')];
      }
      case 'message_stop': {
        this.done = true;
        if (!this.includeUsage) return [];
        return [
          JSON.stringify({
            id: this.id,
            object: 'chat.completion.chunk',
            created: this.created,
            model: this.model,
            choices: [],
            usage: {
              prompt_tokens: this.meter.input,
              completion_tokens: this.meter.output,
              total_tokens: this.meter.input + this.meter.output,
            },
          }),
        ];
      }
      default:
        return [];
    }
  }
}
