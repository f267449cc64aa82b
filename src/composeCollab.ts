import type { ApiDeps } from './api/deps.js';
import { collabRoutes } from './api/routes/collab.js';
import { notificationRoutes } from './api/routes/notifications.js';
import { reportRoutes } from './api/routes/reports.js';
import type { AuditSink } from './core/audit/audit.js';
import { ActivityService } from './core/collab/activityService.js';
import { CommentService } from './core/collab/commentService.js';
import { Notifier } from './core/collab/notifier.js';
import type { DirectMessenger } from './core/collab/ports.js';
import { ReviewService } from './core/collab/reviewService.js';
import type { ContentService } from './core/content/contentService.js';
import { ReportService } from './core/reports/usageReport.js';
import type { TeamMembership } from './core/tasks/ports.js';
import type { Logger } from './logger.js';
import {
  createActivityStore,
  createCommentStore,
  createNotificationStore,
  createReviewStore,
  createUserLookup,
} from './models/collabStore.js';
import type { Db } from './models/db.js';
import { createReportStore } from './models/reportStore.js';

/**
 * Builds the collaboration area (issue 16) for the composition root: comments with mentions,
 * notifications (portal list + chat DMs), the review workflow, the activity timeline and usage reports.
 */
export function composeCollab(c: {
  db: Db;
  logger: Logger;
  audit: AuditSink;
  content: ContentService;
  teams: TeamMembership;
  directMessages?: DirectMessenger;
  publicUrl: () => string;
}) {
  const users = createUserLookup(c.db);
  const notifier = new Notifier({
    store: createNotificationStore(c.db),
    ...(c.directMessages ? { dm: c.directMessages } : {}),
    log: c.logger.child({ scope: 'notifications' }),
  });
  const read = (viewer: Parameters<ContentService['get']>[0], id: string) => c.content.get(viewer, id);
  const contentUrl = (id: string) => `${c.publicUrl()}/content/${id}`;
  const shared = { read, users, notifier, teams: c.teams, audit: c.audit, contentUrl };
  const comments = new CommentService({ ...shared, store: createCommentStore(c.db) });
  const review = new ReviewService({ ...shared, store: createReviewStore(c.db) });
  const activity = new ActivityService({ read, store: createActivityStore(c.db) });
  const reports = new ReportService({ store: createReportStore(c.db), teams: c.teams });
  return {
    reports,
    notifier,
    comments,
    review,
    activity,
    routes: [
      { path: '/api', create: (d: ApiDeps) => collabRoutes(d, { comments, review, activity }) },
      { path: '/api', create: (d: ApiDeps) => notificationRoutes(d, { notifier }) },
      { path: '/api', create: (d: ApiDeps) => reportRoutes(d, { reports }) },
    ],
  };
}
