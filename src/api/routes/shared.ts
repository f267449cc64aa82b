import type { Response } from 'express';
import { z } from 'zod';
import type { ContentService } from '../../core/content/contentService.js';
import { renderShareNotFoundPage } from '../../core/content/shareNotFoundPage.js';
import type { SharePage } from '../../core/content/sharePage.js';
import { notFound } from '../../core/errors.js';
import type { ApiDeps } from '../deps.js';
import { createRateLimit } from '../middleware/rateLimit.js';
import { createRouteBuilder } from '../route.js';

const tokenParams = z.object({ token: z.string().describe('The share token (sy_sh_…)') });

export const sharedContentSchema = z.object({
  title: z.string(),
  contentType: z.string(),
  contentData: z.string(),
  version: z.number(),
  expiresAt: z.string(),
});

/** `GET /api/shared/:token` (no auth): the shared version as JSON. Mounted at /api. */
export function sharedApiRoutes(deps: ApiDeps, c: { content: ContentService }) {
  const r = createRouteBuilder(deps.openapi, '/api');
  r.get(
    '/shared/:token',
    {
      summary: 'Read a shared content version (public, read-only)',
      description: 'Unknown, expired and revoked links all answer 404.',
      tags: ['Content'],
      auth: 'none',
      params: tokenParams,
      responses: { 200: { description: 'The shared version', schema: sharedContentSchema } },
    },
    async (ctx) => {
      const shared = await c.content.openShare(ctx.params.token);
      if (!shared) throw notFound('Share link');
      ctx.res.setHeader('Cache-Control', 'no-store');
      ctx.res.setHeader('X-Robots-Tag', 'noindex, nofollow');
      ctx.res.setHeader('Referrer-Policy', 'no-referrer');
      return { ...shared, expiresAt: shared.expiresAt.toISOString() };
    },
  );
  return r.router;
}

function sendPage(res: Response, status: number, page: SharePage): void {
  // Replaces helmet's site-wide policy with the page's own (no scripts, only its hashed stylesheet).
  for (const [name, value] of Object.entries(page.headers)) res.setHeader(name, value);
  res.status(status).send(page.html);
}

/**
 * `GET /s/:token` (no auth): the public, read-only HTML page of a share link, sanitized and served
 * with its own strict Content-Security-Policy. Mounted at /s, outside /api and the portal fallback.
 */
export function sharePageRoutes(deps: ApiDeps, c: { content: ContentService }) {
  const notFoundPage = renderShareNotFoundPage();
  const r = createRouteBuilder(deps.openapi, '/s');
  r.get(
    '/:token',
    {
      summary: 'The public page of a share link',
      description:
        'Read-only HTML of the shared version, with a strict Content-Security-Policy, `X-Robots-Tag: noindex`, `Cache-Control: no-store` and `Referrer-Policy: no-referrer`. Unknown, expired and revoked links answer an HTML 404 page.',
      tags: ['Content'],
      auth: 'none',
      params: tokenParams,
      responses: {
        200: { description: 'The shared page', contentType: 'text/html' },
        404: { description: 'Unknown, expired or revoked link', contentType: 'text/html' },
      },
      before: [createRateLimit({ perMinute: deps.config.rateLimitPerMinute, name: 'share-pages' })],
    },
    async (ctx) => {
      const page = await c.content.sharePage(ctx.params.token);
      sendPage(ctx.res, page ? 200 : 404, page ?? notFoundPage);
      return undefined;
    },
  );
  // Anything else under /s/ is an HTML 404 too (not the JSON one, not the portal).
  r.router.use((_req, res) => sendPage(res, 404, notFoundPage));
  return r.router;
}
