import { useEffect, useState } from 'react';

/** One server-sent event: its name and parsed data. */
export interface LiveEvent {
  event: string;
  data: { text?: string; status?: string; contentId?: string; message?: string };
}

/**
 * Splits a server-sent event stream into events as chunks arrive: feed it each decoded chunk; it
 * answers the complete events and keeps a partial one for the next chunk.
 */
export function sseParser() {
  let buf = '';
  return (chunk: string): LiveEvent[] => {
    buf += chunk;
    const out: LiveEvent[] = [];
    for (let cut = buf.indexOf('\n\n'); cut !== -1; cut = buf.indexOf('\n\n')) {
      const block = buf.slice(0, cut);
      buf = buf.slice(cut + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data) out.push({ event, data: JSON.parse(data) });
    }
    return out;
  };
}

export interface LiveText {
  text: string;
  /** The last attempt was cut after some text: what is shown is incomplete and a retry follows. */
  incomplete: boolean;
  done: boolean;
}

/** Applies one event to what the page shows: a new attempt starts again from nothing. */
export function applyEvent(s: LiveText, e: LiveEvent): LiveText {
  switch (e.event) {
    case 'attempt':
      return { text: '', incomplete: false, done: false };
    case 'delta':
      return { ...s, text: s.text + (e.data.text ?? ''), incomplete: false };
    case 'status':
      return e.data.status === 'queued' && s.text ? { ...s, incomplete: true } : s;
    case 'done':
    case 'error':
      return { ...s, done: true };
    default:
      return s;
  }
}

/**
 * The task's answer as it is generated (GET /api/tasks/:id/events), while `active`. `open` sends the
 * request with the caller's credentials (the portal's API client), so the stream is read with
 * fetch rather than EventSource (which cannot send an Authorization header).
 */
export function useLiveText(
  open: (signal: AbortSignal) => Promise<Response>,
  key: string,
  active: boolean,
): LiveText {
  const [state, setState] = useState<LiveText>({ text: '', incomplete: false, done: false });
  // biome-ignore lint/correctness/useExhaustiveDependencies: `open` is re-created each render; the task id is the key.
  useEffect(() => {
    if (!active) return;
    const ac = new AbortController();
    (async () => {
      const res = await open(ac.signal);
      if (!res.body) return;
      const parse = sseParser();
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const events = parse(value);
        if (events.length) setState((s) => events.reduce(applyEvent, s));
      }
    })().catch(() => undefined);
    return () => ac.abort();
  }, [key, active]);
  return state;
}
