import { z } from 'zod';
import type { LinkService } from '../../core/linking/linkService.js';
import type { ApiDeps } from '../deps.js';
import { createRouteBuilder } from '../route.js';
import { idParams } from '../schemas.js';

const linkedIdentity = z.object({
  id: z.string(),
  platform: z.string(),
  workspaceId: z.string(),
  platformUserId: z.string(),
  displayName: z.string().nullable(),
  linkedAt: z.string().nullable(),
});

/** Account linking (API.md "Account linking"). Mounted at /api. */
export function linkRoutes(deps: ApiDeps, l: { links: LinkService }) {
  const r = createRouteBuilder(deps.openapi, '/api');

  r.post(
    '/links/codes',
    {
      summary: 'Get a single-use link code (10 minutes); send `link <code>` in Slack, Discord or Telegram',
      tags: ['Account linking'],
      auth: 'user',
      responses: {
        201: { description: 'A new code', schema: z.object({ code: z.string(), expiresAt: z.string() }) },
      },
    },
    async (ctx) => {
      const c = await l.links.createCode(ctx.principal.user.id, { ip: ctx.ip });
      return { code: c.code, expiresAt: c.expiresAt.toISOString() };
    },
  );

  r.get(
    '/links',
    {
      summary: 'My linked chat accounts',
      tags: ['Account linking'],
      auth: 'user',
      responses: {
        200: { description: 'Linked chat identities', schema: z.object({ items: z.array(linkedIdentity) }) },
      },
    },
    async (ctx) => ({
      items: (await l.links.list(ctx.principal.user.id)).map((i) => ({
        ...i,
        linkedAt: i.linkedAt ? i.linkedAt.toISOString() : null,
      })),
    }),
  );

  r.delete(
    '/links/:id',
    {
      summary: 'Unlink a chat account (its next command starts as a guest again)',
      tags: ['Account linking'],
      auth: 'user',
      params: idParams,
      responses: { 204: { description: 'Unlinked' } },
    },
    async (ctx) => {
      await l.links.unlink(ctx.principal.user.id, ctx.params.id, { ip: ctx.ip });
    },
  );

  return r.router;
}
