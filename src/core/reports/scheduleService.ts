import type { Actor } from '../actor.js';
import { type Clock, systemClock } from '../clock.js';
import { badRequest, notFound } from '../errors.js';
import type { ReportChartInput } from './chartImage.js';
import { CSV_COLUMNS, type ReportGroupBy, type ReportService, type UsageRow } from './usageReport.js';

export type ScheduleEvery = 'week' | 'month';
export type DeliverTo =
  | { platform: 'slack' | 'discord' | 'telegram'; channel: string }
  | { webhookId: string };

export interface ReportSchedule {
  id: string;
  userId: string;
  teamId: string | null;
  report: 'usage';
  groupBy: ReportGroupBy;
  every: ScheduleEvery;
  deliverTo: DeliverTo;
  lastSentAt: Date | null;
  nextRunAt: Date;
  createdAt: Date;
}

export interface ScheduleStore {
  create(s: Omit<ReportSchedule, 'id' | 'lastSentAt' | 'createdAt'>): Promise<ReportSchedule>;
  get(id: string): Promise<ReportSchedule | null>;
  /**
   * The schedules a user may see, newest first (at most 500): their own, those of the teams they own
   * or administer, and every one for a site admin.
   */
  listVisible(viewer: Actor): Promise<ReportSchedule[]>;
  /** False when there was no such schedule. */
  delete(id: string): Promise<boolean>;
  /**
   * Claims the schedules due at `now` (FOR UPDATE SKIP LOCKED, so two workers never send one twice)
   * and moves each one's next run on in the same statement; returns them with the period they cover.
   */
  claimDue(now: Date, next: (s: ReportSchedule) => Date): Promise<ReportSchedule[]>;
}

/** Where reports go: a chat channel (the chat area's clients) or a signed webhook callback. */
export interface ReportDelivery {
  platforms(): Array<'slack' | 'discord' | 'telegram'>;
  toChannel(platform: 'slack' | 'discord' | 'telegram', channel: string, text: string): Promise<void>;
  /**
   * Posts an image to the channel (Slack file upload, Discord attachment, Telegram photo); absent,
   * or false from `imagePlatforms`, where the platform's client cannot.
   */
  imageToChannel?(
    platform: 'slack' | 'discord' | 'telegram',
    channel: string,
    image: ChannelImage,
  ): Promise<void>;
  imagePlatforms?(): Array<'slack' | 'discord' | 'telegram'>;
  /** Checks the hook exists, has a callback URL and the user may manage it (throws 404/403 otherwise). */
  checkWebhook(viewer: Actor, webhookId: string): Promise<void>;
  toWebhook(webhookId: string, payload: Record<string, unknown>): Promise<void>;
}

/** A PNG for a chat channel. */
export interface ChannelImage {
  png: Buffer;
  filename: string;
  /** A short caption / alt text. */
  title: string;
}

const DAY_MS = 86_400_000;

/** The start (UTC midnight) of the period after the one holding `d`: next Monday, or the 1st of next month. */
export function nextPeriodStart(every: ScheduleEvery, d: Date): Date {
  const midnight = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  if (every === 'month') return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));
  const daysToMonday = (8 - new Date(midnight).getUTCDay()) % 7 || 7;
  return new Date(midnight + daysToMonday * DAY_MS);
}

/** The period a run at `runAt` (a period start) reports: the week or month before it. */
export function previousPeriod(every: ScheduleEvery, runAt: Date): { from: Date; to: Date } {
  const to = runAt;
  const from =
    every === 'month'
      ? new Date(Date.UTC(to.getUTCFullYear(), to.getUTCMonth() - 1, to.getUTCDate()))
      : new Date(to.getTime() - 7 * DAY_MS);
  return { from, to };
}

/** A plain-text table of a report for chat (first 20 rows). */
export function reportText(title: string, rows: UsageRow[]): string {
  const head = `${title}\n${'label'.padEnd(24)} tasks  done  failed  tokens  p95 ms`;
  const body = rows
    .slice(0, 20)
    .map(
      (r) =>
        `${r.label.slice(0, 24).padEnd(24)} ${String(r.tasks).padStart(5)} ${String(r.completed).padStart(5)} ${String(r.failed).padStart(7)} ${String(r.tokens).padStart(7)} ${String(r.p95LatencyMs ?? '-').padStart(7)}`,
    );
  const more = rows.length > 20 ? [`… and ${rows.length - 20} more rows`] : [];
  return ['```', head, ...body, ...more, '```'].join('\n');
}

/**
 * Scheduled usage reports: created by whoever may read that report (see ReportService), sent by the
 * `report-schedules` job (pg-boss cron, hourly) for the week or month that just ended.
 */
export class ScheduleService {
  constructor(
    private readonly deps: {
      store: ScheduleStore;
      reports: ReportService;
      delivery: ReportDelivery;
      /** Renders a report's chart as a PNG (the server's render pool); unset = text only. */
      chart?: (input: ReportChartInput) => Promise<Buffer>;
      now?: Clock;
      log?: { warn(message: string, meta?: Record<string, unknown>): void };
    },
  ) {}

  async create(
    viewer: Actor,
    input: {
      report: 'usage';
      groupBy: ReportGroupBy;
      every: ScheduleEvery;
      teamId?: string;
      deliverTo: DeliverTo;
    },
  ): Promise<ReportSchedule> {
    await this.deps.reports.authorize(viewer, input.teamId);
    const to = input.deliverTo;
    if ('webhookId' in to) await this.deps.delivery.checkWebhook(viewer, to.webhookId);
    else if (!this.deps.delivery.platforms().includes(to.platform))
      throw badRequest(`${to.platform} is not configured here (no bot token)`);
    const now = (this.deps.now ?? systemClock)();
    return this.deps.store.create({
      userId: viewer.userId,
      teamId: input.teamId ?? null,
      report: input.report,
      groupBy: input.groupBy,
      every: input.every,
      deliverTo: to,
      nextRunAt: nextPeriodStart(input.every, now),
    });
  }

  /** The schedules the viewer may see and delete (see ScheduleStore.listVisible). */
  list(viewer: Actor): Promise<ReportSchedule[]> {
    return this.deps.store.listVisible(viewer);
  }

  /**
   * Deletes a schedule: its creator, an owner/admin of its team, or a site admin. Anyone else is told
   * it does not exist (404), as for a schedule that is not there.
   */
  async remove(viewer: Actor, id: string): Promise<void> {
    const s = await this.deps.store.get(id);
    if (!s || !(await this.mayManage(viewer, s))) throw notFound('Report schedule');
    if (!(await this.deps.store.delete(id))) throw notFound('Report schedule');
  }

  private async mayManage(viewer: Actor, s: ReportSchedule): Promise<boolean> {
    if (viewer.isAdmin || s.userId === viewer.userId) return true;
    if (!s.teamId) return false;
    return this.deps.reports.authorize(viewer, s.teamId).then(
      () => true,
      () => false,
    );
  }

  /** Sends every due schedule once; a failed delivery is logged and waits for the next period. */
  async runDue(): Promise<number> {
    const now = (this.deps.now ?? systemClock)();
    const due = await this.deps.store.claimDue(now, (s) => nextPeriodStart(s.every, now));
    let sent = 0;
    for (const s of due) {
      try {
        await this.send(s);
        sent++;
      } catch (e) {
        this.deps.log?.warn('Could not deliver a scheduled report', {
          scheduleId: s.id,
          err: (e as Error).message,
        });
      }
    }
    return sent;
  }

  private async send(s: ReportSchedule): Promise<void> {
    const { from, to } = previousPeriod(s.every, s.nextRunAt);
    const q = { from, to, groupBy: s.groupBy, ...(s.teamId ? { teamId: s.teamId } : {}) };
    const rows = await this.deps.reports.usage({ userId: s.userId, isAdmin: true }, q);
    const period = `${from.toISOString().slice(0, 10)} – ${new Date(to.getTime() - 1).toISOString().slice(0, 10)}`;
    if ('webhookId' in s.deliverTo) {
      await this.deps.delivery.toWebhook(s.deliverTo.webhookId, {
        event: 'report.usage',
        scheduleId: s.id,
        teamId: s.teamId,
        groupBy: s.groupBy,
        from: from.toISOString(),
        to: to.toISOString(),
        columns: CSV_COLUMNS,
        items: rows,
      });
    } else {
      const title = `Usage by ${s.groupBy}, ${period}`;
      const { platform, channel } = s.deliverTo;
      await this.deps.delivery.toChannel(platform, channel, reportText(title, rows));
      await this.sendChart(s, platform, channel, title, rows);
    }
  }

  /**
   * After the text, the chart image where the platform takes one and there is something to draw.
   * A chart that fails to render or upload is logged: the text report has gone out already.
   */
  private async sendChart(
    s: ReportSchedule,
    platform: 'slack' | 'discord' | 'telegram',
    channel: string,
    title: string,
    rows: UsageRow[],
  ): Promise<void> {
    const { chart } = this.deps;
    const { imageToChannel, imagePlatforms } = this.deps.delivery;
    if (!chart || !imageToChannel || rows.length === 0) return;
    if (!(imagePlatforms?.call(this.deps.delivery) ?? []).includes(platform)) return;
    try {
      const png = await chart({ title, rows });
      const filename = `usage-by-${s.groupBy}-${s.nextRunAt.toISOString().slice(0, 10)}.png`;
      await imageToChannel.call(this.deps.delivery, platform, channel, { png, filename, title });
    } catch (e) {
      this.deps.log?.warn('Could not add the chart image to a scheduled report (the text was sent)', {
        scheduleId: s.id,
        platform,
        err: (e as Error).message,
      });
    }
  }
}
