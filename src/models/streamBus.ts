import type pg from 'pg';
import { Coalescer } from '../core/coalescer.js';
import {
  applyLiveEvent,
  type LiveEvent,
  type LiveFeed,
  type LivePublisher,
  type LiveSnapshot,
  type LiveWriter,
} from '../core/tasks/liveStream.js';
import type { Logger } from '../logger.js';
import { ListenConnection } from './listenConnection.js';

/** The channel live task output is NOTIFYed on. Payloads are JSON, one LiveEvent each. */
export const STREAM_CHANNEL = 'switchyard_stream';
/** Deltas are gathered for this long and sent as one NOTIFY: no database round trip per token. */
export const STREAM_BATCH_MS = 25;
/**
 * NOTIFY statements start at least this far apart; notices queued meanwhile go out together. Every
 * NOTIFY wakes each listening backend of the database, so a few statements per interval (whatever
 * the number of tasks running) cost far less than one per event; a notice after a quiet spell goes at once.
 */
const NOTICE_INTERVAL_MS = 10;
/** NOTIFY payloads must stay under 8,000 bytes: text goes in pieces of at most this many characters. */
const PIECE_CHARS = 1500;
/** How long a finished stream is remembered (late subscribers, resumes), and how many streams at most. */
const KEEP_ENDED_MS = 5 * 60_000;
const MAX_STREAMS = 5000;

type Wire = { t: string } & LiveEvent;

/**
 * Live results over PostgreSQL LISTEN/NOTIFY (chosen over a pg-boss queue: nothing is stored, every
 * process hears every stream at once, and the database is already there). A writer batches a
 * task's deltas for STREAM_BATCH_MS and sends them in order; every process LISTENs, keeps the text
 * of each running attempt in memory (for late subscribers) and hands events to its subscribers.
 * Nothing is written to a table: the stored content stays exactly what the task completed with.
 */
export class StreamBus implements LivePublisher, LiveFeed {
  private readonly streams = new Map<string, { snap: LiveSnapshot; at: number }>();
  private readonly subscribers = new Map<string, Set<(e: LiveEvent) => void>>();
  private readonly connection: ListenConnection;
  readonly counters = { notifies: 0, notices: 0 };
  /** Notices waiting for the next statement (see notify); each under 8,000 bytes. */
  private readonly outbox = new Coalescer<Wire>((batch) => this.send(batch), {
    max: 200,
    minIntervalMs: NOTICE_INTERVAL_MS,
  });

  constructor(private readonly opts: { databaseUrl: string; pool: pg.Pool; logger: Logger }) {
    this.connection = new ListenConnection({
      databaseUrl: opts.databaseUrl,
      logger: opts.logger,
      channel: STREAM_CHANNEL,
      name: 'stream',
      onNotice: (payload) => this.onNotice(payload),
      // Notices sent while the connection was away are lost: what was heard before is incomplete.
      onConnected: (reconnect) => {
        if (reconnect) for (const s of this.streams.values()) s.snap = { ...s.snap, partial: true };
      },
    });
  }

  start(): Promise<void> {
    return this.connection.start();
  }

  stop(): Promise<void> {
    return this.connection.stop();
  }

  snapshot(taskId: string): LiveSnapshot | null {
    return this.streams.get(taskId)?.snap ?? null;
  }

  subscribe(taskId: string, fn: (e: LiveEvent) => void): () => void {
    const set = this.subscribers.get(taskId) ?? new Set();
    this.subscribers.set(taskId, set);
    set.add(fn);
    return () => {
      set.delete(fn);
      if (set.size === 0) this.subscribers.delete(taskId);
    };
  }

  open(taskId: string, run: number): LiveWriter {
    return new BatchedWriter(run, (e) => this.notify({ t: taskId, ...e }));
  }

  /**
   * Queues one notice. Notices queued while a statement is on its way, or within NOTICE_INTERVAL_MS
   * of the last, go out together in the next one (one transaction: one signal to the listening
   * backends, one round trip), in the order queued, one statement at a time: a task's events are
   * heard in the order its writer queued them.
   */
  private notify(w: Wire): Promise<void> {
    this.counters.notifies++;
    return this.outbox.push(w);
  }

  private async send(batch: Wire[]): Promise<void> {
    try {
      // unnest returns the array in order, and a transaction's notices are delivered in the order sent.
      await this.opts.pool.query('SELECT pg_notify($1, p) FROM unnest($2::text[]) AS x(p)', [
        STREAM_CHANNEL,
        batch.map((w) => JSON.stringify(w)),
      ]);
    } catch (e) {
      // Live output is a courtesy: the result itself is stored and delivered regardless.
      this.opts.logger.debug('Live output notices not sent', {
        taskIds: [...new Set(batch.map((w) => w.t))],
        err: (e as Error).message,
      });
    }
  }

  private onNotice(payload: string): void {
    let w: Wire;
    try {
      w = JSON.parse(payload) as Wire;
    } catch {
      return;
    }
    if (typeof w.t !== 'string') return;
    this.counters.notices++;
    const { t, ...event } = w;
    const now = Date.now();
    const before = this.streams.get(t)?.snap ?? null;
    this.streams.delete(t); // re-insert: the Map's order is least recently touched first
    this.streams.set(t, { snap: applyLiveEvent(before, event as LiveEvent), at: now });
    this.prune(now);
    for (const fn of this.subscribers.get(t) ?? []) fn(event as LiveEvent);
  }

  private prune(now: number): void {
    for (const [id, s] of this.streams) {
      if (this.streams.size <= MAX_STREAMS && !(s.snap.ended && now - s.at > KEEP_ENDED_MS)) break;
      this.streams.delete(id);
    }
  }
}

/** One task run's writer: deltas wait up to STREAM_BATCH_MS and go out together, in order. */
class BatchedWriter implements LiveWriter {
  private attemptKey: string | null = null;
  private offset = 0;
  private pending = '';
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly run: number,
    private readonly send: (e: LiveEvent) => Promise<void>,
  ) {}

  attempt(n: number, provider: string): void {
    this.flush();
    this.attemptKey = `${this.run}.${n}`;
    this.offset = 0;
    this.enqueue({ type: 'attempt', attempt: this.attemptKey, provider });
  }

  delta(text: string): void {
    if (!this.attemptKey || !text) return;
    this.pending += text;
    this.timer ??= setTimeout(() => this.flush(), STREAM_BATCH_MS);
  }

  end(status: 'completed' | 'failed' | 'cancelled' | 'retry'): Promise<void> {
    this.flush();
    this.enqueue({ type: 'end', status });
    return this.chain;
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.pending || !this.attemptKey) return;
    const text = this.pending;
    this.pending = '';
    for (let i = 0; i < text.length; i += PIECE_CHARS) {
      const piece = text.slice(i, i + PIECE_CHARS);
      this.enqueue({ type: 'delta', attempt: this.attemptKey, offset: this.offset, text: piece });
      this.offset += piece.length;
    }
  }

  /** Queued at once: the bus sends notices in the order queued (one statement after another). */
  private enqueue(e: LiveEvent): void {
    this.chain = this.send(e);
  }
}
