/** One server-sent event as a test client received it. */
export interface SseEvent {
  event: string;
  id?: string;
  data: any;
  /** ms since the request was sent. */
  at: number;
}

/**
 * Reads a server-sent event stream until the server closes it, `until` says enough, or `timeoutMs`
 * passes. Answers the HTTP status and the events; a non-200 answer's JSON body is in `body`.
 */
export async function readSse(
  url: string,
  opts: {
    token?: string;
    headers?: Record<string, string>;
    until?: (events: SseEvent[]) => boolean;
    onEvent?: (e: SseEvent, all: SseEvent[]) => void;
    timeoutMs?: number;
  } = {},
): Promise<{ status: number; contentType: string | null; events: SseEvent[]; body?: any }> {
  const started = performance.now();
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), opts.timeoutMs ?? 20_000);
  const res = await fetch(url, {
    headers: {
      accept: 'text/event-stream',
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      ...opts.headers,
    },
    signal: ac.signal,
  });
  const contentType = res.headers.get('content-type');
  if (res.status !== 200) {
    clearTimeout(timer);
    const text = await res.text();
    return { status: res.status, contentType, events: [], body: text ? JSON.parse(text) : undefined };
  }
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  let buf = '';
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true });
      let cut = buf.indexOf('\n\n');
      while (cut !== -1) {
        const block = buf.slice(0, cut);
        buf = buf.slice(cut + 2);
        cut = buf.indexOf('\n\n');
        const e: Partial<SseEvent> = { event: 'message', at: performance.now() - started };
        let data = '';
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) continue;
          const [k, ...rest] = line.split(': ');
          const v = rest.join(': ');
          if (k === 'event') e.event = v;
          else if (k === 'id') e.id = v;
          else if (k === 'data') data += v;
        }
        if (!data) continue;
        e.data = JSON.parse(data);
        events.push(e as SseEvent);
        opts.onEvent?.(e as SseEvent, events);
        if (opts.until?.(events)) {
          ac.abort();
          return { status: 200, contentType, events };
        }
      }
    }
  } catch (e) {
    if (!ac.signal.aborted) throw e;
  } finally {
    clearTimeout(timer);
  }
  return { status: 200, contentType, events };
}

/** The text the events amount to: deltas joined, starting again at each `attempt`. */
export function textOf(events: SseEvent[]): string {
  let text = '';
  for (const e of events) {
    if (e.event === 'attempt') text = '';
    if (e.event === 'delta') text += e.data.text;
  }
  return text;
}
