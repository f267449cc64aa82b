/**
 * Follows a task's live output (GET /api/tasks/:id/events) and writes the answer as it arrives.
 * Answers false when the server offers no event stream (then the caller polls the status instead).
 * A provider attempt cut after some text was shown is marked "[incomplete]" before the next one.
 */
export async function followLive(o: {
  base: string;
  token: string;
  taskId: string;
  out: NodeJS.WritableStream;
  signal?: AbortSignal;
}): Promise<boolean> {
  let res: Response;
  try {
    res = await fetch(new URL(`/api/tasks/${o.taskId}/events`, o.base), {
      headers: { authorization: `Bearer ${o.token}`, accept: 'text/event-stream' },
      signal: o.signal,
    });
  } catch {
    return false;
  }
  if (!res.ok || !res.body) return false;
  let shown = false;
  let ended = false;
  const decoder = new TextDecoder();
  let buf = '';
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true });
      for (let cut = buf.indexOf('\n\n'); cut !== -1; cut = buf.indexOf('\n\n')) {
        const block = buf.slice(0, cut);
        buf = buf.slice(cut + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (!event || !data) continue;
        const d = JSON.parse(data) as { text?: string };
        if (event === 'attempt' && shown) {
          o.out.write('\n\n[incomplete]\n\n');
          shown = false;
        } else if (event === 'delta' && d.text) {
          o.out.write(d.text);
          shown = true;
        } else if (event === 'done' || event === 'error') ended = true;
      }
    }
  } catch {
    // Interrupted (Ctrl-C) or the connection dropped: the caller reads the status.
  }
  if (shown) o.out.write('\n');
  return ended;
}
