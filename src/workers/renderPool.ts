import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import {
  type Renderer,
  type RenderJob,
  type RenderJobOf,
  type RenderKind,
  type RenderResults,
  renderHere,
  renderWeight,
} from '../core/content/renderer.js';
import { AppError, type ErrorCode } from '../core/errors.js';
import type { Logger } from '../logger.js';

/** What the worker entry (renderWorker.ts) answers. */
export type WorkerReply =
  | { ok: true; value: unknown }
  | { ok: false; error: { code: ErrorCode; message: string; details?: unknown } };

export interface RenderPoolOptions {
  /** Worker threads at most. Default: one less than the CPUs the process may use, at least 1. */
  maxThreads?: number;
  /** Jobs waiting for a thread at most; one more answers 503 with Retry-After. Default 4 per thread. */
  maxQueue?: number;
  /**
   * Pooled jobs one requester (user) may have running or waiting at once; one more answers 429 with
   * Retry-After, so a single user cannot fill the whole queue. Default 2.
   */
  maxPerRequester?: number;
  /**
   * Jobs rendering at most this many characters run on the calling thread: a few milliseconds of
   * work, and they should not wait behind a large export in the queue. PDF and DOCX always go to a
   * thread (see renderWeight). Default 8,192.
   */
  inlineMaxChars?: number;
  /** Added to the render threads' nice value (Linux), so the event loop wins the CPU when it is short. */
  niceIncrement?: number;
  /** A thread idle this long exits (one is kept). */
  idleTimeoutMs?: number;
  logger?: Logger;
}

export interface RenderPoolStats {
  maxThreads: number;
  maxQueue: number;
  inlineMaxChars: number;
  /** Live worker threads. */
  threads: number;
  /** Jobs handed to the pool and not yet settled (running or queued). */
  inFlight: number;
  /** Jobs waiting for a thread. */
  queued: number;
  /** Jobs the threads finished. */
  completed: number;
  /** Jobs run on the calling thread because they were small. */
  inline: number;
  /** Jobs refused because the queue was full. */
  rejected: number;
  /** Jobs refused because their requester already had maxPerRequester in flight. */
  throttled: number;
}

const QUEUE_FULL = 'Task queue is at limit';

/**
 * Where the worker entry is: next to this file, as .js in the compiled build (dist/src/workers/) or
 * as .ts when this module itself runs from source (tsx, vitest). A .ts entry needs tsx's loader in
 * the worker too, passed by absolute URL so it resolves whatever the working directory.
 */
function workerEntry(): { filename: string; execArgv?: string[] } {
  const self = import.meta.url;
  if (self.endsWith('.ts')) {
    const tsx = pathToFileURL(createRequire(self).resolve('tsx')).href;
    return { filename: fileURLToPath(new URL('./renderWorker.ts', self)), execArgv: ['--import', tsx] };
  }
  return { filename: fileURLToPath(new URL('./renderWorker.js', self)) };
}

/** Structured cloning turns a Buffer into a plain Uint8Array: give exports their Buffer back. */
function revive(kind: RenderKind, value: unknown): unknown {
  if (kind === 'reportChart') {
    const chart = value as RenderResults['reportChart'];
    const png = chart.png as Buffer | Uint8Array;
    return Buffer.isBuffer(png)
      ? chart
      : { ...chart, png: Buffer.from(png.buffer, png.byteOffset, png.byteLength) };
  }
  if (kind !== 'export') return value;
  const file = value as RenderResults['export'];
  const body = file.body as Buffer | Uint8Array | string;
  if (typeof body === 'string' || Buffer.isBuffer(body)) return file;
  return { ...file, body: Buffer.from(body.buffer, body.byteOffset, body.byteLength) };
}

/**
 * The content Renderer of the server: CPU-heavy diff, export and share-page rendering on worker
 * threads (piscina), so one user's 1 MB export cannot stall every other request on the event loop.
 * The pool starts on the first job that needs it (processes that never render never start a thread),
 * is bounded (threads and queue), and answers 503 `unavailable` with Retry-After when full.
 */
export class RenderPool implements Renderer {
  readonly maxThreads: number;
  readonly maxQueue: number;
  readonly inlineMaxChars: number;
  readonly maxPerRequester: number;
  private readonly niceIncrement: number;
  private readonly idleTimeoutMs: number;
  private pool: Piscina<RenderJob, WorkerReply> | undefined;
  private closed = false;
  private counts = { inFlight: 0, inline: 0, rejected: 0, throttled: 0 };
  /** Pooled jobs in flight per requester. */
  private readonly perRequester = new Map<string, number>();
  /** Moving average (ms) from handing a job to the pool to its result, waiting included: Retry-After errs long. */
  private meanRunMs = 2_000;

  constructor(private readonly opts: RenderPoolOptions = {}) {
    this.maxThreads = Math.max(1, Math.floor(opts.maxThreads ?? availableParallelism() - 1));
    this.maxQueue = Math.max(1, Math.floor(opts.maxQueue ?? 4 * this.maxThreads));
    this.inlineMaxChars = Math.max(0, opts.inlineMaxChars ?? 8_192);
    this.maxPerRequester = Math.max(1, Math.floor(opts.maxPerRequester ?? 2));
    this.niceIncrement = opts.niceIncrement ?? 0;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 60_000;
  }

  async render<K extends RenderKind>(job: RenderJobOf<K>, requester?: string): Promise<RenderResults[K]> {
    if (renderWeight(job) <= this.inlineMaxChars) {
      this.counts.inline++;
      return renderHere(job);
    }
    this.admit(requester, Number.POSITIVE_INFINITY);
    const pool = this.start();
    let reply: WorkerReply;
    this.counts.inFlight++;
    if (requester) this.perRequester.set(requester, (this.perRequester.get(requester) ?? 0) + 1);
    const started = performance.now();
    try {
      reply = await pool.run(job);
      this.meanRunMs = 0.8 * this.meanRunMs + 0.2 * (performance.now() - started);
    } catch (e) {
      if ((e as Error)?.message === QUEUE_FULL) {
        this.counts.rejected++;
        throw this.queueFull();
      }
      throw e;
    } finally {
      this.counts.inFlight--;
      if (requester) {
        const n = (this.perRequester.get(requester) ?? 1) - 1;
        if (n > 0) this.perRequester.set(requester, n);
        else this.perRequester.delete(requester);
      }
    }
    if (!reply.ok) {
      throw new AppError(reply.error.code, reply.error.message, {
        ...(reply.error.details !== undefined ? { details: reply.error.details } : {}),
      });
    }
    return revive(job.kind, reply.value) as RenderResults[K];
  }

  /**
   * Throws what `render` would answer now for a job of this weight: nothing for one small enough to
   * run inline; for a pooled one 503 when closed or full, 429 when its requester is over their share.
   */
  admit(requester: string | undefined, weight: number): void {
    if (weight <= this.inlineMaxChars) return;
    if (this.closed) {
      throw new AppError('unavailable', 'The server is shutting down; try again in a moment', {
        retryAfter: 5,
      });
    }
    if (requester && (this.perRequester.get(requester) ?? 0) >= this.maxPerRequester) {
      this.counts.throttled++;
      throw new AppError(
        'rate_limited',
        `You already have ${this.maxPerRequester} large diffs, exports or pages rendering; wait for one to finish`,
        { retryAfter: this.retryAfterSeconds(0) },
      );
    }
    if (this.pool && this.pool.queueSize >= this.maxQueue) {
      this.counts.rejected++;
      throw this.queueFull();
    }
  }

  stats(): RenderPoolStats {
    return {
      maxThreads: this.maxThreads,
      maxQueue: this.maxQueue,
      inlineMaxChars: this.inlineMaxChars,
      threads: this.pool?.threads.length ?? 0,
      inFlight: this.counts.inFlight,
      queued: this.pool?.queueSize ?? 0,
      completed: this.pool?.completed ?? 0,
      inline: this.counts.inline,
      rejected: this.counts.rejected,
      throttled: this.counts.throttled,
    };
  }

  /** Lets the running and queued jobs finish (up to 10 s), then ends the threads. */
  async close(): Promise<void> {
    this.closed = true;
    const pool = this.pool;
    this.pool = undefined;
    if (pool) await pool.close();
  }

  private start(): Piscina<RenderJob, WorkerReply> {
    if (this.pool) return this.pool;
    const entry = workerEntry();
    this.pool = new Piscina<RenderJob, WorkerReply>({
      name: 'default',
      filename: entry.filename,
      ...(entry.execArgv ? { execArgv: entry.execArgv } : {}),
      minThreads: 1,
      maxThreads: this.maxThreads,
      maxQueue: this.maxQueue,
      idleTimeout: this.idleTimeoutMs,
      niceIncrement: this.niceIncrement,
      closeTimeout: 10_000,
    });
    this.pool.on('error', (e: Error) => this.opts.logger?.error('Render worker failed', { err: e.message }));
    return this.pool;
  }

  private queueFull(): AppError {
    return new AppError(
      'unavailable',
      `The server is busy rendering (${this.maxQueue} large diffs, exports or pages already waiting); try again in a few seconds`,
      { retryAfter: this.retryAfterSeconds(this.pool?.queueSize ?? this.maxQueue) },
    );
  }

  /** Seconds until a slot is likely free: the jobs ahead shared among the threads, times a job's mean run time. */
  private retryAfterSeconds(queued: number): number {
    const seconds = Math.ceil((this.meanRunMs * (queued / this.maxThreads + 1)) / 1000);
    return Math.min(60, Math.max(1, seconds));
  }
}
