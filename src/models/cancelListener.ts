import pg from 'pg';
import type { CancelSignals } from '../core/tasks/ports.js';
import type { Logger } from '../logger.js';
import { TASK_CANCEL_CHANNEL } from './taskStore.js';

/**
 * Lets a worker abort a running task that was cancelled in another process (the API). Two paths:
 * LISTEN on the channel TaskStore.cancel() NOTIFYs at commit (immediate), and a poll of the watched
 * tasks' status every `pollMs` (covers a dropped listener connection or a missed notice).
 */
export class CancelListener implements CancelSignals {
  private readonly watched = new Map<string, Set<AbortController>>();
  private client: pg.Client | null = null;
  private poller: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly opts: { databaseUrl: string; pool: pg.Pool; logger: Logger; pollMs?: number },
  ) {}

  async start(): Promise<void> {
    await this.connect();
    this.poller = setInterval(() => void this.poll(), this.opts.pollMs ?? 2000);
    this.poller.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.poller) clearInterval(this.poller);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const c = this.client;
    this.client = null;
    if (c) await c.end().catch(() => undefined);
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

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.opts.databaseUrl });
    client.on('notification', (msg) => {
      if (msg.channel === TASK_CANCEL_CHANNEL && msg.payload) this.abort(msg.payload);
    });
    client.on('error', (err) => {
      this.opts.logger.warn('Cancel listener connection lost; reconnecting', { err: err.message });
      this.scheduleReconnect();
    });
    client.on('end', () => {
      if (!this.stopped && this.client === client) this.scheduleReconnect();
    });
    await client.connect();
    await client.query(`LISTEN ${client.escapeIdentifier(TASK_CANCEL_CHANNEL)}`);
    this.client = client;
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer) return;
    const old = this.client;
    this.client = null;
    void old?.end().catch(() => undefined);
    this.reconnectTimer = setTimeout(async () => {
      this.reconnectTimer = null;
      if (this.stopped) return;
      try {
        await this.connect();
        await this.poll(); // anything cancelled while we were away
      } catch (e) {
        this.opts.logger.warn('Cancel listener could not reconnect; retrying', { err: (e as Error).message });
        this.scheduleReconnect();
      }
    }, 1000);
    this.reconnectTimer.unref();
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
