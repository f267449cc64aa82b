import { sleep } from '../callSignals.js';

/** A chunk is sent every TICK_MS: fine enough to look live, coarse enough not to flood consumers. */
const TICK_MS = 20;
/** Characters per token, for pacing only (usage is counted with the tokenizer). */
const CHARS_PER_TOKEN = 4;

/**
 * Splits `text` into the chunks a provider streaming at `tokensPerSecond` would send every
 * TICK_MS, cut after whitespace where possible. 0 tokens/s: one chunk (no pacing).
 */
export function mockChunks(text: string, tokensPerSecond: number): string[] {
  if (!text) return [];
  if (tokensPerSecond <= 0) return [text];
  const perTick = Math.max(1, Math.round((tokensPerSecond * CHARS_PER_TOKEN * TICK_MS) / 1000));
  const chunks: string[] = [];
  let at = 0;
  while (at < text.length) {
    let end = Math.min(text.length, at + perTick);
    const space = text.indexOf(' ', end);
    if (end < text.length && space !== -1 && space - end < perTick) end = space + 1;
    chunks.push(text.slice(at, end));
    at = end;
  }
  return chunks;
}

/**
 * Sends `chunks` to `onDelta` one per tick (the first at once). Stops after `limit` chunks (a cut
 * stream drill). Rejects when `signal` fires.
 */
export async function streamChunks(
  chunks: string[],
  opts: { onDelta?: (t: string) => void; onFirstToken?: () => void; signal?: AbortSignal; limit?: number },
): Promise<void> {
  const n = Math.min(chunks.length, opts.limit ?? chunks.length);
  for (let i = 0; i < n; i++) {
    if (i > 0) await sleep(TICK_MS, opts.signal);
    if (i === 0) opts.onFirstToken?.();
    opts.onDelta?.(chunks[i]!);
  }
}
