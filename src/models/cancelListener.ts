import type pg from 'pg';
import type { CancelSignals } from '../core/tasks/ports.js';
import type { Logger } from '../logger.js';
import { ListenConnection } from './listenConnection.js';
import { TASK_CANCEL_CHANNEL } from './taskStore.js';

/**
 * Lets a worker abort a running task that was cancelled in another process (the API). Two paths:
 * LISTEN on the channel TaskStore.cancel() NOTIFYs at commit (immediate), and a poll of the watched
 * tasks' status every `pollMs` (covers a dropped listener connection or a missed notice).
 */
export class CancelListener implements CancelSignals {
  private readonly watched = new Map<string, Set<AbortController>>();
  private readonly connection: ListenConnection;
  private poller: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly opts: { databaseUrl: string; pool: pg.Pool; logger: Logger; pollMs?: number },
  ) {
    this.connection = new ListenConnection({
      databaseUrl: opts.databaseUrl,
      logger: opts.logger,
      channel: TASK_CANCEL_CHANNEL,
      name: 'cancel',
      onNotice: (taskId) => this.abort(taskId),
      // Anything cancelled while the connection was away.
      onConnected: (reconnect) => (reconnect ? this.poll() : undefined),
      backoff: { baseMs: 1000, maxMs: 4000 },
    });
  }

  async start(): Promise<void> {
    await this.connection.start();
    this.poller = setInterval(() => void this.poll(), this.opts.pollMs ?? 2000);
    this.poller.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.poller) clearInterval(this.poller);
    await this.connection.stop();
  }

  watch(taskId: string): { signal: AbortSignal; release(): void } {
    const ac = new AbortController();
    const set = this.watched.get(taskId) ?? new Set<AbortController>();
    this.watched.set(taskId, set);
    set.add(ac);
    return {
      signal: ac.signal,
      release: () => {
        const s = this.watched.get(taskId);
        s?.delete(ac);
        if (s && s.size === 0) this.watched.delete(taskId);
      },
    };
  }

  private abort(taskId: string): void {
    for (const ac of this.watched.get(taskId) ?? []) ac.abort(new Error('The task was cancelled'));
  }

  private async poll(): Promise<void> {
    if (this.stopped || this.watched.size === 0) return;
    try {
      const ids = [...this.watched.keys()];
      const r = await this.opts.pool.query<{ id: string }>(
        `SELECT id FROM tasks WHERE id = ANY($1::uuid[]) AND status = 'cancelled'`,
        [ids],
      );
      for (const row of r.rows) this.abort(row.id);
    } catch (e) {
      this.opts.logger.debug('Cancel poll failed', { err: (e as Error).message });
    }
  }
}
