/**
 * Server-Sent Events, both ways: an incremental parser for upstream streams (OpenAI's `data:` lines,
 * Anthropic's `event:` + `data:` pairs) and the frames the gateway writes to its clients.
 */
export interface SseEvent {
  event?: string;
  data: string;
}

/** Feeds raw chunks, yields complete events (a blank line ends an event). */
export class SseParser {
  private buf = '';
  private event: string | undefined;
  private data: string[] = [];

  push(chunk: string): SseEvent[] {
    this.buf += chunk;
    const out: SseEvent[] = [];
    let nl = this.buf.indexOf('\n');
    while (nl >= 0) {
      let line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line === '') {
        if (this.data.length) out.push({ event: this.event, data: this.data.join('\n') });
        this.event = undefined;
        this.data = [];
      } else if (line.startsWith('data:')) {
        this.data.push(line.slice(line[5] === ' ' ? 6 : 5));
      } else if (line.startsWith('event:')) {
        this.event = line.slice(line[6] === ' ' ? 7 : 6);
      }
      nl = this.buf.indexOf('\n');
    }
    return out;
  }
}

export const sseData = (json: string) => `data: ${json}\n\n`;
export const SSE_DONE = 'data: [DONE]\n\n';

/**
 * The frame that ends a stream cut after its first byte: an OpenAI error object as a data event and
 * no `[DONE]`, so OpenAI clients throw (the SDK raises APIError from the iterator) instead of taking
 * a truncated answer for a complete one.
 */
export function sseError(message: string, code = 'stream_cut'): string {
  return sseData(JSON.stringify({ error: { message, type: 'server_error', code } }));
}
