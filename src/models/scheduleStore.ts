import { asc, eq, lte, sql } from 'drizzle-orm';
import type { DeliverTo, ReportSchedule, ScheduleStore } from '../core/reports/scheduleService.js';
import type { ReportGroupBy } from '../core/reports/usageReport.js';
import type { Db } from './db.js';
import { reportSchedules } from './schema.js';

const toSchedule = (r: typeof reportSchedules.$inferSelect): ReportSchedule => ({
  id: r.id,
  userId: r.userId,
  teamId: r.teamId,
  report: 'usage',
  groupBy: r.groupBy as ReportGroupBy,
  every: r.every,
  deliverTo: r.deliverTo as DeliverTo,
  lastSentAt: r.lastSentAt,
  nextRunAt: r.nextRunAt,
  createdAt: r.createdAt,
});

export function createScheduleStore(db: Db): ScheduleStore {
  return {
    async create(s) {
      const [r] = await db
        .insert(reportSchedules)
        .values({ ...s, deliverTo: s.deliverTo as Record<string, unknown> })
        .returning();
      return toSchedule(r!);
    },
    async claimDue(now, next) {
      return db.transaction(async (tx) => {
        const rows = await tx
          .select()
          .from(reportSchedules)
          .where(lte(reportSchedules.nextRunAt, now))
          .orderBy(asc(reportSchedules.nextRunAt))
          .limit(100)
          .for('update', { skipLocked: true });
        const out = rows.map(toSchedule);
        for (const s of out) {
          await tx
            .update(reportSchedules)
            .set({ nextRunAt: next(s), lastSentAt: sql`now()` as never })
            .where(eq(reportSchedules.id, s.id));
        }
        return out;
      });
    },
  };
}
