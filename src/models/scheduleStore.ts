import { and, asc, desc, eq, inArray, lte, or, sql } from 'drizzle-orm';
import type { DeliverTo, ReportSchedule, ScheduleStore } from '../core/reports/scheduleService.js';
import type { ReportGroupBy } from '../core/reports/usageReport.js';
import type { Db } from './db.js';
import { reportSchedules, teamMembers } from './schema.js';

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
    async get(id) {
      const [r] = await db.select().from(reportSchedules).where(eq(reportSchedules.id, id));
      return r ? toSchedule(r) : null;
    },
    async listVisible(viewer) {
      const adminOf = db
        .select({ teamId: teamMembers.teamId })
        .from(teamMembers)
        .where(and(eq(teamMembers.userId, viewer.userId), inArray(teamMembers.role, ['owner', 'admin'])));
      const rows = await db
        .select()
        .from(reportSchedules)
        .where(
          viewer.isAdmin
            ? undefined
            : or(eq(reportSchedules.userId, viewer.userId), inArray(reportSchedules.teamId, adminOf)),
        )
        .orderBy(desc(reportSchedules.createdAt), desc(reportSchedules.id))
        .limit(500);
      return rows.map(toSchedule);
    },
    async delete(id) {
      const rows = await db
        .delete(reportSchedules)
        .where(eq(reportSchedules.id, id))
        .returning({ id: reportSchedules.id });
      return rows.length > 0;
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
