import { z } from 'zod';
import type { NotificationStore } from '../../models/notificationStore.js';
import type { ApiDeps } from '../deps.js';
import { createRouteBuilder } from '../route.js';
import { isoDate, listSchema, pageQuery } from '../schemas.js';

const notificationSchema = z.object({
  id: z.string(),
  kind: z.string().describe('budget_alert (mentions and review requests use the same list)'),
  payload: z.record(z.string(), z.unknown()),
  readAt: isoDate.nullable(),
  createdAt: isoDate,
});

/** The caller's notifications (API.md § Collaboration). Mounted at /api. */
export function notificationRoutes(deps: ApiDeps, n: { store: NotificationStore }) {
  const r = createRouteBuilder(deps.openapi, '/api');

  r.get(
    '/notifications',
    {
      summary: 'The caller’s notifications, newest first',
      operationId: 'listNotifications',
      tags: ['Notifications'],
      auth: 'user',
      query: pageQuery.extend({ unread: z.enum(['true', 'false']).optional() }),
      responses: { 200: { description: 'Notifications', schema: listSchema(notificationSchema) } },
    },
    async (ctx) => {
      const { page, limit } = ctx.query;
      const out = await n.store.list(ctx.principal.user.id, {
        page,
        limit,
        unread: ctx.query.unread === 'true',
      });
      return {
        items: out.items.map((x) => ({
          ...x,
          readAt: x.readAt?.toISOString() ?? null,
          createdAt: x.createdAt.toISOString(),
        })),
        page,
        limit,
        total: out.total,
      };
    },
  );

  r.post(
    '/notifications/read',
    {
      summary: 'Mark the caller’s notifications read (the given ids, or all)',
      operationId: 'markNotificationsRead',
      tags: ['Notifications'],
      auth: 'user',
      body: z.object({ ids: z.array(z.uuid('must be a UUID')).max(500).optional() }).strict(),
      responses: { 200: { description: 'How many were marked', schema: z.object({ updated: z.number() }) } },
    },
    async (ctx) => ({ updated: await n.store.markRead(ctx.principal.user.id, ctx.body.ids ?? null) }),
  );

  return r.router;
}
