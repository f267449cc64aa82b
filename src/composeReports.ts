import type { PgBoss } from 'pg-boss';
import type { ApiDeps } from './api/deps.js';
import { reportScheduleRoutes } from './api/routes/reportSchedules.js';
import type { Renderer } from './core/content/renderer.js';
import { badRequest } from './core/errors.js';
import type { ReportChartInput } from './core/reports/chartImage.js';
import { type ReportDelivery, ScheduleService } from './core/reports/scheduleService.js';
import type { ReportService } from './core/reports/usageReport.js';
import type { HookService } from './core/webhooks/hookService.js';
import { postJson } from './core/webhooks/httpPost.js';
import { signPayload } from './core/webhooks/signature.js';
import type { ChannelImageSender } from './integrations/integration.js';
import { startReportJobs } from './jobs/reportJobs.js';
import type { Logger } from './logger.js';
import type { Db } from './models/db.js';
import type { DmPlatform } from './models/linkedIdentities.js';
import { createScheduleStore } from './models/scheduleStore.js';

/**
 * Scheduled reports (issue 16): stored schedules, the hourly `report-schedules` job (worker role),
 * delivery to a chat channel through the chat area's clients or to a hook's callback URL signed
 * with the hook's secret (X-Switchyard-Signature, as task callbacks are).
 */
export function composeReports(c: {
  db: Db;
  boss: PgBoss;
  logger: Logger;
  reports: ReportService;
  hooks: HookService;
  channelSenders: Partial<Record<DmPlatform, (channel: string, text: string) => Promise<void>>>;
  /** Image posts per platform: a report to such a channel also gets a chart image. */
  channelImageSenders?: Partial<Record<DmPlatform, ChannelImageSender>>;
  /** Renders the chart (the server's render pool: off the event loop). Unset = text only. */
  renderer?: Renderer;
  outbound: { allowPrivate: boolean; timeoutMs: number };
}) {
  const delivery: ReportDelivery = {
    platforms: () => Object.keys(c.channelSenders) as DmPlatform[],
    async toChannel(platform, channel, text) {
      const send = c.channelSenders[platform];
      if (!send) throw new Error(`${platform} is not configured`);
      await send(channel, text);
    },
    imagePlatforms: () => Object.keys(c.channelImageSenders ?? {}) as DmPlatform[],
    async imageToChannel(platform, channel, image) {
      const send = c.channelImageSenders?.[platform];
      if (!send) throw new Error(`${platform} cannot take images here`);
      await send(channel, image);
    },
    async checkWebhook(viewer, webhookId) {
      const hook = await c.hooks.get(webhookId, viewer);
      if (!hook.callbackUrl) throw badRequest('That webhook has no callback URL to deliver to');
    },
    async toWebhook(webhookId, payload) {
      const hook = await c.hooks.get(webhookId);
      if (!hook.callbackUrl) throw new Error('The webhook has no callback URL');
      const body = JSON.stringify(payload);
      const r = await postJson(
        hook.callbackUrl,
        body,
        { 'x-switchyard-signature': signPayload(c.hooks.currentSecret(hook), body) },
        { timeoutMs: c.outbound.timeoutMs, allowPrivate: c.outbound.allowPrivate },
      );
      if (r.status < 200 || r.status >= 300) throw new Error(`The callback answered ${r.status}`);
    },
  };
  const schedules = new ScheduleService({
    store: createScheduleStore(c.db),
    reports: c.reports,
    delivery,
    ...(c.renderer
      ? {
          chart: async (input: ReportChartInput) =>
            (await c.renderer!.render({ kind: 'reportChart', input })).png,
        }
      : {}),
    log: c.logger.child({ scope: 'reports' }),
  });
  return {
    schedules,
    routes: [{ path: '/api', create: (d: ApiDeps) => reportScheduleRoutes(d, { schedules }) }],
    startWorker: () => startReportJobs({ boss: c.boss, schedules, logger: c.logger }),
  };
}
