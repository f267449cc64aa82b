import type { Response } from 'express';
import { z } from 'zod';
import type { ContentService } from '../../core/content/contentService.js';
import { renderShareMessagePage, renderShareNotFoundPage } from '../../core/content/shareNotFoundPage.js';
import type { SharePage } from '../../core/content/sharePage.js';
import { isAppError, notFound } from '../../core/errors.js';
import type { ApiDeps } from '../deps.js';
import { errorStatus } from '../errorHandler.js';
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
        'Read-only HTML of the shared version, with a strict Content-Security-Policy, `X-Robots-Tag: noindex`, `Cache-Control: no-store` and `Referrer-Policy: no-referrer`. Unknown, expired and revoked links, and links of a suspended owner, answer an HTML 404 page. A version over the size limit answers an HTML 422 page; a busy server an HTML 503 page with Retry-After.',
      tags: ['Content'],
      auth: 'none',
      params: tokenParams,
      responses: {
        200: { description: 'The shared page', contentType: 'text/html' },
        404: { description: 'Unknown, expired or revoked link', contentType: 'text/html' },
        422: { description: 'The shared version is too large to show', contentType: 'text/html' },
        503: { description: 'Busy rendering; try again after Retry-After', contentType: 'text/html' },
      },
      before: [createRateLimit({ perMinute: deps.config.rateLimitPerMinute, name: 'share-pages' })],
    },
    async (ctx) => {
      let page: SharePage | null;
      try {
        page = await c.content.sharePage(ctx.params.token);
      } catch (e) {
        // A visitor gets a page, not JSON: too large (422) or busy (503, with Retry-After).
        if (!isAppError(e) || (e.code !== 'content_too_large' && e.code !== 'unavailable')) throw e;
        const title = e.code === 'unavailable' ? 'Busy, try again shortly' : 'Too large to show';
        if (e.retryAfter !== undefined) ctx.res.setHeader('Retry-After', String(Math.ceil(e.retryAfter)));
        sendPage(ctx.res, errorStatus[e.code], renderShareMessagePage(title, e.message));
        return undefined;
      }
      sendPage(ctx.res, page ? 200 : 404, page ?? notFoundPage);
      return undefined;
    },
  );
  // Anything else under /s/ is an HTML 404 too (not the JSON one, not the portal).
  r.router.use((_req, res) => sendPage(res, 404, notFoundPage));
  return r.router;
}
