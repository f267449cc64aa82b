import { z } from 'zod';
import { notFound } from '../../core/errors.js';
import type { ContentReader } from '../../core/tasks/ports.js';
import type { ApiDeps } from '../deps.js';
import {
  contentSchema,
  contentVersionItemSchema,
  presentContent,
  presentContentVersions,
} from '../presenters/content.js';
import { createRouteBuilder } from '../route.js';
import { idParams } from '../schemas.js';

/**
 * Content (API.md "Content"). For now: reading one item with its version list, owner only.
 * Mounted at /api. The content area adds edits, versions, restore, export and shares here.
 */
export function contentRoutes(deps: ApiDeps, c: { content: ContentReader }) {
  const r = createRouteBuilder(deps.openapi, '/api');

  r.get(
    '/content/:id',
    {
      summary: 'A content item (current version) and its version list',
      tags: ['Content'],
      auth: 'user',
      params: idParams,
      responses: {
        200: {
          description: 'Content',
          schema: contentSchema.extend({ versions: z.array(contentVersionItemSchema) }),
        },
      },
    },
    async (ctx) => {
      const item = await c.content.getWithVersions(ctx.params.id);
      if (!item || item.userId !== ctx.principal.user.id) throw notFound('Content');
      return { ...presentContent(item), versions: presentContentVersions(item) };
    },
  );

  return r.router;
}
