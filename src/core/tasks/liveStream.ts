/**
 * Live results: the pieces of a task's answer as its provider streams them, carried from the
 * worker to every consumer (SSE, chat edits) without a database write per token. The transport
 * (models/streamBus.ts: PostgreSQL NOTIFY, batched) sits behind these ports.
 *
 * An attempt is one provider call, keyed `<run>.<n>` (job run, call within the run): a new attempt
 * voids the text of the one before it, and its offsets start again at 0.
 */
export type LiveEvent =
  | { type: 'attempt'; attempt: string; provider: string }
  | { type: 'delta'; attempt: string; offset: number; text: string }
  /** `retry`: the run failed and the job will run again (status queued); the others are final. */
  | { type: 'end'; status: 'completed' | 'failed' | 'cancelled' | 'retry' };

/** What the worker writes for one task run. */
export interface LiveWriter {
  attempt(n: number, provider: string): void;
  delta(text: string): void;
  /** Sends what is buffered and the end marker; resolves once it is out. */
  end(status: 'completed' | 'failed' | 'cancelled' | 'retry'): Promise<void>;
}

export interface LivePublisher {
  open(taskId: string, run: number): LiveWriter;
}

/** What a process has heard of one task's stream so far. */
export interface LiveSnapshot {
  attempt: string | null;
  provider: string | null;
  /** The current attempt's text so far. */
  text: string;
  /** True when this process started listening after the attempt began: `text` lacks its start. */
  partial: boolean;
  ended: 'completed' | 'failed' | 'cancelled' | 'retry' | null;
}

export interface LiveFeed {
  snapshot(taskId: string): LiveSnapshot | null;
  /** Calls `fn` for each later event of the task; returns the unsubscribe function. */
  subscribe(taskId: string, fn: (e: LiveEvent) => void): () => void;
}

/** Applies one event to a snapshot (pure): the text of the current attempt, in order, without duplicates. */
export function applyLiveEvent(s: LiveSnapshot | null, e: LiveEvent): LiveSnapshot {
  const cur: LiveSnapshot = s ?? { attempt: null, provider: null, text: '', partial: false, ended: null };
  switch (e.type) {
    case 'attempt':
      return { attempt: e.attempt, provider: e.provider, text: '', partial: false, ended: null };
    case 'delta': {
      if (cur.attempt !== e.attempt) {
        return { attempt: e.attempt, provider: null, text: e.text, partial: e.offset > 0, ended: null };
      }
      const end = e.offset + e.text.length;
      if (end <= cur.text.length) return cur;
      if (e.offset > cur.text.length) return { ...cur, text: cur.text + e.text, partial: true };
      return { ...cur, text: cur.text + e.text.slice(cur.text.length - e.offset) };
    }
    case 'end':
      return { ...cur, ended: e.status };
  }
}

/** SSE event id of a position in a stream: `<attempt>:<offset>`. */
export const liveEventId = (attempt: string, offset: number) => `${attempt}:${offset}`;

export function parseLiveEventId(id: string | undefined): { attempt: string; offset: number } | null {
  const m = id ? /^(\d{1,6}\.\d{1,6}):(\d{1,9})$/.exec(id.trim()) : null;
  return m ? { attempt: m[1]!, offset: Number(m[2]) } : null;
}
