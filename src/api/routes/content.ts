import { z } from 'zod';
import type { ContentService } from '../../core/content/contentService.js';
import { MAX_SHARE_HOURS } from '../../core/content/contentService.js';
import { MAX_VERSION_CHARS } from '../../core/content/limits.js';
import { CONTENT_STATUSES } from '../../core/content/ports.js';
import { contentDisposition } from '../../core/export/filename.js';
import { EXPORT_FORMATS } from '../../core/export/types.js';
import type { ApiDeps } from '../deps.js';
import {
  contentDiffSchema,
  contentSchema,
  contentVersionItemSchema,
  contentVersionSchema,
  presentContent,
  presentContentVersion,
  presentContentVersions,
  presentShare,
  shareCreatedSchema,
  shareSchema,
} from '../presenters/content.js';
import { presentTask, taskSchema } from '../presenters/task.js';
import { actorOf, createRouteBuilder } from '../route.js';
import { idParams, listSchema, pageQuery } from '../schemas.js';

export interface ContentRouteDeps {
  content: ContentService;
}

/** Version numbers are PostgreSQL integers. */
const INT_MAX = 2_147_483_647;
const versionNumber = z
  .number('must be a number')
  .int('must be a whole number')
  .min(1, 'must be 1 or more')
  .max(INT_MAX, 'is too large');
const versionQuery = z.coerce
  .number('must be a number')
  .int('must be a whole number')
  .min(1, 'must be 1 or more')
  .max(INT_MAX, 'is too large');
const uuid = z.uuid('must be a UUID');
const noNul = (s: string) => !s.includes('\u0000');

const versionParams = idParams.extend({ version: versionQuery });
const shareParams = idParams.extend({ shareId: uuid });

/**
 * Content (API.md "Content"): list and search, versions with provenance, edit with optimistic
 * concurrency, restore, regenerate, diff, export in six formats, and share links. The public share
 * endpoints are in shared.ts. Mounted at /api.
 *
 * Access: the owner can do everything. Admins can read anyone's content (list with all/userId, get,
 * versions, diff, export, shares list) but not change it (403). Anyone else gets 404.
 */
export function contentRoutes(deps: ApiDeps, c: ContentRouteDeps) {
  const r = createRouteBuilder(deps.openapi, '/api');

  r.get(
    '/content',
    {
      summary: 'List content (current versions), newest change first',
      description:
        '`q` searches the title and the body (case-insensitive substring). `teamId` lists a team’s content (its members). Admins may pass `all=true` or `userId`.',
      tags: ['Content'],
      auth: 'user',
      query: pageQuery.extend({
        q: z.string().max(200).refine(noNul, 'must not contain NUL characters').optional(),
        taskId: uuid.optional(),
        status: z.enum(CONTENT_STATUSES).optional(),
        userId: uuid.optional(),
        teamId: uuid.optional(),
        all: z.enum(['true', 'false', '1', '0']).optional(),
      }),
      responses: { 200: { description: 'Content', schema: listSchema(contentSchema) } },
      errors: [403, 404],
    },
    async (ctx) => {
      const q = ctx.query;
      const { items, total } = await c.content.list(actorOf(ctx), {
        q: q.q,
        taskId: q.taskId,
        status: q.status,
        userId: q.userId,
        teamId: q.teamId,
        all: q.all === 'true' || q.all === '1',
        page: q.page,
        limit: q.limit,
      });
      return { items: items.map(presentContent), page: q.page, limit: q.limit, total };
    },
  );

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
      const { content, versions } = await c.content.getWithVersions(actorOf(ctx), ctx.params.id);
      return { ...presentContent(content), versions: presentContentVersions(versions) };
    },
  );

  r.get(
    '/content/:id/versions/:version',
    {
      summary: 'One version of a content item, with its provenance',
      tags: ['Content'],
      auth: 'user',
      params: versionParams,
      responses: { 200: { description: 'The version', schema: contentVersionSchema } },
    },
    async (ctx) => {
      const { content, version } = await c.content.getVersion(
        actorOf(ctx),
        ctx.params.id,
        ctx.params.version,
      );
      return presentContentVersion(content, version);
    },
  );

  r.get(
    '/content/:id/diff',
    {
      summary: 'Unified diff between two versions',
      description: `\`to\` defaults to the current version and \`from\` to the one before it. A version over ${MAX_VERSION_CHARS.toLocaleString('en-US')} characters answers 422 \`content_too_large\`; while the server is busy rendering, 503 with Retry-After.`,
      tags: ['Content'],
      auth: 'user',
      params: idParams,
      query: z.object({ from: versionQuery.optional(), to: versionQuery.optional() }),
      responses: { 200: { description: 'The diff', schema: contentDiffSchema } },
      errors: [422, 503],
    },
    async (ctx) => c.content.diff(actorOf(ctx), ctx.params.id, ctx.query),
  );

  r.put(
    '/content/:id',
    {
      summary: 'Edit a content item',
      description:
        'A changed title or body appends a new version (source `edit`); a status change alone does not. With `baseVersion`, the edit applies only if that is still the current version, otherwise 409 and nothing changes.',
      tags: ['Content'],
      auth: 'user',
      params: idParams,
      body: z
        .object({
          title: z.string().trim().min(1).max(200).optional(),
          // The length limit is checked by the use case: 413 naming the limit (see core/content/limits.ts).
          contentData: z
            .string()
            .describe(`At most ${MAX_VERSION_CHARS.toLocaleString('en-US')} characters (longer: 413)`)
            .optional(),
          status: z.enum(CONTENT_STATUSES).optional(),
          baseVersion: versionNumber.optional(),
        })
        .strict(),
      responses: { 200: { description: 'The content after the edit', schema: contentSchema } },
      errors: [403, 409, 413],
    },
    async (ctx) => presentContent(await c.content.update(actorOf(ctx), ctx.params.id, ctx.body)),
  );

  r.delete(
    '/content/:id',
    {
      summary: 'Delete a content item with all its versions and share links',
      tags: ['Content'],
      auth: 'user',
      params: idParams,
      responses: { 204: { description: 'Deleted' } },
      errors: [403],
    },
    async (ctx) => {
      await c.content.remove(actorOf(ctx), ctx.params.id);
      return undefined;
    },
  );

  r.post(
    '/content/:id/restore',
    {
      summary: 'Restore an earlier version',
      description: 'Appends a new version (source `restore`) with that version’s title and body.',
      tags: ['Content'],
      auth: 'user',
      params: idParams,
      body: z.object({ version: versionNumber, baseVersion: versionNumber.optional() }).strict(),
      responses: { 200: { description: 'The content after the restore', schema: contentSchema } },
      errors: [403, 409],
    },
    async (ctx) => presentContent(await c.content.restore(actorOf(ctx), ctx.params.id, ctx.body)),
  );

  r.post(
    '/content/:id/regenerate',
    {
      summary: 'Regenerate: run the prompt again',
      description:
        'Queues a task; when it completes, its result becomes the next version of this content (source `regeneration`) with its own provenance.',
      tags: ['Content'],
      auth: 'user',
      params: idParams,
      body: z
        .object({
          providerId: uuid.optional(),
          source: z.enum(['api', 'portal']).optional().describe('Where the request comes from (default api)'),
        })
        .strict(),
      responses: { 201: { description: 'The queued task', schema: taskSchema } },
      errors: [403, 409],
    },
    async (ctx) => presentTask(await c.content.regenerate(actorOf(ctx), ctx.params.id, ctx.body)),
  );

  r.post(
    '/content/:id/export',
    {
      summary: 'Export a version as a file',
      description: `Formats: ${EXPORT_FORMATS.join(', ')}. Answers the file with its Content-Type and \`Content-Disposition: attachment\`. \`version\` defaults to the current one. A version over ${MAX_VERSION_CHARS.toLocaleString('en-US')} characters answers 422 \`content_too_large\`; while the server is busy rendering, 503 with Retry-After.`,
      tags: ['Content'],
      auth: 'user',
      params: idParams,
      body: z.object({ format: z.enum(EXPORT_FORMATS), version: versionNumber.optional() }).strict(),
      responses: { 200: { description: 'The file', contentType: 'application/octet-stream' } },
      errors: [422, 503],
    },
    async (ctx) => {
      const file = await c.content.export(actorOf(ctx), ctx.params.id, ctx.body);
      ctx.res
        .status(200)
        .set({
          'Content-Type': file.contentType,
          'Content-Disposition': contentDisposition(file.filename, file.utf8Filename),
          'Cache-Control': 'no-store',
          'X-Content-Type-Options': 'nosniff',
        })
        .send(typeof file.body === 'string' ? Buffer.from(file.body, 'utf8') : file.body);
      return undefined;
    },
  );

  r.post(
    '/content/:id/share',
    {
      summary: 'Create a read-only share link',
      description: `The link opens at \`/s/<token>\` (HTML) and \`/api/shared/<token>\` (JSON). \`expiresInHours\` defaults to the \`shares.defaultExpiresInHours\` setting (72), at most ${MAX_SHARE_HOURS}. With \`version\` the link keeps showing that version; without, the current one.`,
      tags: ['Content'],
      auth: 'user',
      params: idParams,
      body: z
        .object({
          expiresInHours: z
            .number('must be a number')
            .int('must be a whole number')
            .min(1, 'must be at least 1')
            .max(MAX_SHARE_HOURS, `must be at most ${MAX_SHARE_HOURS} (30 days)`)
            .optional(),
          version: versionNumber.optional(),
        })
        .strict(),
      responses: {
        201: { description: 'The link (the token is shown only here)', schema: shareCreatedSchema },
      },
      errors: [403],
    },
    async (ctx) => {
      const s = await c.content.createShare(actorOf(ctx), ctx.params.id, ctx.body);
      return { ...s, expiresAt: s.expiresAt.toISOString() };
    },
  );

  r.get(
    '/content/:id/shares',
    {
      summary: 'The share links of a content item (without their tokens)',
      tags: ['Content'],
      auth: 'user',
      params: idParams,
      query: pageQuery,
      responses: { 200: { description: 'Share links', schema: listSchema(shareSchema) } },
    },
    async (ctx) => {
      const { items, total } = await c.content.listShares(actorOf(ctx), ctx.params.id, ctx.query);
      return { items: items.map(presentShare), page: ctx.query.page, limit: ctx.query.limit, total };
    },
  );

  r.delete(
    '/content/:id/shares/:shareId',
    {
      summary: 'Revoke a share link',
      tags: ['Content'],
      auth: 'user',
      params: shareParams,
      responses: { 204: { description: 'Revoked (also when it already was)' } },
      errors: [403],
    },
    async (ctx) => {
      await c.content.revokeShare(actorOf(ctx), ctx.params.id, ctx.params.shareId);
      return undefined;
    },
  );

  return r.router;
}
