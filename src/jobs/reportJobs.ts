import type { PgBoss } from 'pg-boss';
import type { ScheduleService } from '../core/reports/scheduleService.js';
import type { Logger } from '../logger.js';

export const REPORT_SCHEDULES_QUEUE = 'report-schedules';
/** Hourly (UTC): schedules fall due at midnight UTC on Mondays or the 1st. */
export const REPORT_SCHEDULES_CRON = '7 * * * *';

/** The `report-schedules` job: pg-boss cron (one job per occurrence whatever the number of workers). */
export async function startReportJobs(deps: { boss: PgBoss; schedules: ScheduleService; logger: Logger }) {
  const log = deps.logger.child({ scope: 'reports' });
  if (!(await deps.boss.getQueue(REPORT_SCHEDULES_QUEUE)))
    await deps.boss.createQueue(REPORT_SCHEDULES_QUEUE);
  await deps.boss.work(REPORT_SCHEDULES_QUEUE, { batchSize: 1, pollingIntervalSeconds: 2 }, async () => {
    const sent = await deps.schedules.runDue();
    if (sent) log.info('Scheduled reports sent', { sent });
  });
  await deps.boss.schedule(REPORT_SCHEDULES_QUEUE, REPORT_SCHEDULES_CRON, null, { tz: 'UTC' });
  return {
    async stop() {
      await deps.boss.offWork(REPORT_SCHEDULES_QUEUE, { wait: true } as never);
    },
  };
}
