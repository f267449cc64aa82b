import { z } from 'zod';
import type { Notifier } from '../../core/collab/notifier.js';
import type { ApiDeps } from '../deps.js';
import { notificationSchema, presentNotification } from '../presenters/collab.js';
import { createRouteBuilder } from '../route.js';
import { pageQuery } from '../schemas.js';

/** The caller's notifications (mentions, review requests, budget alerts). Mounted at /api. */
export function notificationRoutes(deps: ApiDeps, n: { notifier: Notifier }) {
  const r = createRouteBuilder(deps.openapi, '/api');

  r.get(
    '/notifications',
    {
      summary: 'The caller’s notifications, newest first, with the unread count',
      tags: ['Collaboration'],
      auth: 'user',
      query: pageQuery.extend({ unread: z.enum(['true', 'false', '1', '0']).optional() }),
      responses: {
        200: {
          description: 'Notifications',
          schema: z.object({
            items: z.array(notificationSchema),
            unread: z.number(),
            page: z.number(),
            limit: z.number(),
            total: z.number(),
          }),
        },
      },
    },
    async (ctx) => {
      const q = ctx.query;
      const out = await n.notifier.list(ctx.principal.user.id, {
        unreadOnly: q.unread === 'true' || q.unread === '1',
        page: q.page,
        limit: q.limit,
      });
      return {
        items: out.items.map(presentNotification),
        unread: out.unread,
        page: q.page,
        limit: q.limit,
        total: out.total,
      };
    },
  );

  r.post(
    '/notifications/read',
    {
      summary: 'Mark notifications read',
      description: 'The listed `ids` (the caller’s only; others are ignored), or all of them without `ids`.',
      tags: ['Collaboration'],
      auth: 'user',
      body: z.object({ ids: z.array(z.uuid('must be a UUID')).max(500).optional() }).strict(),
      responses: {
        200: {
          description: 'How many changed and what is left unread',
          schema: z.object({ marked: z.number(), unread: z.number() }),
        },
      },
    },
    async (ctx) => {
      const marked = await n.notifier.markRead(ctx.principal.user.id, ctx.body.ids);
      const { unread } = await n.notifier.list(ctx.principal.user.id, {
        unreadOnly: true,
        page: 1,
        limit: 1,
      });
      return { marked, unread };
    },
  );

  return r.router;
}
