import pg from 'pg';
import { describeError, type Logger } from '../logger.js';

export interface ListenConnectionOptions {
  databaseUrl: string;
  channel: string;
  /** Names the connection in logs ("Cache listener …") and in pg_stat_activity. */
  name: string;
  logger: Logger;
  onNotice(payload: string): void;
  /** After every successful LISTEN (the first one included): notices sent meanwhile were missed. */
  onConnected?(reconnect: boolean): void | Promise<void>;
  /** When the connection is lost, before the reconnect is scheduled. */
  onLost?(): void;
  /** Reconnect backoff: baseMs × 2^failures, at most maxMs. */
  backoff?: { baseMs: number; maxMs: number };
}

/**
 * One dedicated LISTEN connection that replaces itself when lost (server restart, network,
 * pg_terminate_backend), retrying with backoff until the server is back and LISTENing again.
 */
export class ListenConnection {
  private client: pg.Client | null = null;
  private pid: number | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private failures = 0;

  constructor(private readonly opts: ListenConnectionOptions) {}

  /** True while notices can be heard. */
  get live(): boolean {
    return this.client !== null;
  }

  /** The connection's server process id (null while disconnected). */
  get backendPid(): number | null {
    return this.client ? this.pid : null;
  }

  /** Connects and LISTENs; throws when the first connection fails. */
  async start(): Promise<void> {
    await this.connect(false);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const c = this.client;
    this.client = null;
    if (c) await c.end().catch(() => undefined);
  }

  private async connect(reconnect: boolean): Promise<void> {
    const { opts } = this;
    const client = new pg.Client({
      connectionString: opts.databaseUrl,
      application_name: `switchyard-${opts.name}`,
    });
    client.on('notification', (msg) => {
      if (msg.channel === opts.channel && msg.payload) opts.onNotice(msg.payload);
    });
    const lost = (err?: Error) => {
      if (this.stopped || this.client !== client) return;
      opts.logger.warn(`${this.label} listener connection lost; reconnecting`, {
        err: err ? describeError(err).message : 'connection ended',
      });
      this.scheduleReconnect();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    try {
      await client.connect();
      await client.query(`LISTEN ${client.escapeIdentifier(opts.channel)}`);
      this.pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    } catch (e) {
      client.removeAllListeners();
      client.on('error', () => undefined);
      await client.end().catch(() => undefined);
      throw e;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    await opts.onConnected?.(reconnect);
  }

  private get label(): string {
    return this.opts.name[0]!.toUpperCase() + this.opts.name.slice(1);
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer) return;
    const old = this.client;
    this.client = null;
    this.opts.onLost?.();
    if (old) {
      old.removeAllListeners('end');
      void old.end().catch(() => undefined);
    }
    const { baseMs, maxMs } = this.opts.backoff ?? { baseMs: 250, maxMs: 4000 };
    this.reconnectTimer = setTimeout(
      async () => {
        this.reconnectTimer = null;
        if (this.stopped) return;
        try {
          await this.connect(true);
          this.opts.logger.info(`${this.label} listener reconnected`);
          this.failures = 0;
        } catch (e) {
          if (this.failures++ === 0)
            this.opts.logger.warn(`${this.label} listener could not reconnect yet; retrying`, {
              err: describeError(e).message,
            });
          this.scheduleReconnect();
        }
      },
      Math.min(baseMs * 2 ** this.failures, maxMs),
    );
    this.reconnectTimer.unref();
  }
}
