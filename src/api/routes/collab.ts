import { z } from 'zod';
import type { ActivityService } from '../../core/collab/activityService.js';
import { type CommentService, MAX_COMMENT_CHARS, MAX_QUOTE_CHARS } from '../../core/collab/commentService.js';
import type { ReviewService } from '../../core/collab/reviewService.js';
import type { ApiDeps } from '../deps.js';
import {
  activityItemSchema,
  commentSchema,
  presentActivity,
  presentComment,
  presentReviewer,
  reviewerSchema,
} from '../presenters/collab.js';
import { contentSchema, presentContent } from '../presenters/content.js';
import { actorOf, createRouteBuilder } from '../route.js';
import { idParams } from '../schemas.js';

export interface CollabRouteDeps {
  comments: CommentService;
  review: ReviewService;
  activity: ActivityService;
}

const commentParams = idParams.extend({ commentId: z.uuid('must be a UUID') });
const version = z.number('must be a number').int('must be a whole number').min(1).max(2_147_483_647);
const body = z.string().max(MAX_COMMENT_CHARS, `must be at most ${MAX_COMMENT_CHARS} characters`);

const ACCESS =
  'Whoever may read the content (its owner, its team’s members, site admins) may read and write comments; anyone else gets 404.';

/** Comments, review workflow and activity of a content item (API.md "Collaboration and reports"). Mounted at /api. */
export function collabRoutes(deps: ApiDeps, c: CollabRouteDeps) {
  const r = createRouteBuilder(deps.openapi, '/api');

  r.get(
    '/content/:id/comments',
    {
      summary: 'The comment threads of a content item',
      description: `${ACCESS} Threads in time order, each with its replies.`,
      tags: ['Collaboration'],
      auth: 'user',
      params: idParams,
      responses: { 200: { description: 'Threads', schema: z.object({ items: z.array(commentSchema) }) } },
    },
    async (ctx) => ({ items: (await c.comments.list(actorOf(ctx), ctx.params.id)).map(presentComment) }),
  );

  r.post(
    '/content/:id/comments',
    {
      summary: 'Comment on a content version',
      description: `${ACCESS} \`version\` defaults to the current one; \`quote\` anchors the comment to a passage; \`parentId\` replies in a thread. \`@username\` mentions notify people who can read the content (portal list and chat DM).`,
      tags: ['Collaboration'],
      auth: 'user',
      params: idParams,
      body: z
        .object({
          body: body.min(1, 'must not be empty'),
          version: version.optional(),
          quote: z.string().max(MAX_QUOTE_CHARS).optional(),
          parentId: z.uuid('must be a UUID').optional(),
        })
        .strict(),
      responses: { 201: { description: 'The comment', schema: commentSchema } },
    },
    async (ctx) => presentComment(await c.comments.create(actorOf(ctx), ctx.params.id, ctx.body)),
  );

  r.put(
    '/content/:id/comments/:commentId',
    {
      summary: 'Edit, resolve or reopen a comment',
      description:
        'The author, a team admin (the owner for personal content) or a site admin. `resolved: true` closes the thread, `false` reopens it. Others who can read the content get 403; anyone else 404.',
      tags: ['Collaboration'],
      auth: 'user',
      params: commentParams,
      body: z.object({ body: body.min(1).optional(), resolved: z.boolean().optional() }).strict(),
      responses: { 200: { description: 'The comment', schema: commentSchema } },
      errors: [403],
    },
    async (ctx) =>
      presentComment(await c.comments.update(actorOf(ctx), ctx.params.id, ctx.params.commentId, ctx.body)),
  );

  r.delete(
    '/content/:id/comments/:commentId',
    {
      summary: 'Delete a comment (and its replies)',
      description: 'The author, a team admin (the owner for personal content) or a site admin.',
      tags: ['Collaboration'],
      auth: 'user',
      params: commentParams,
      responses: { 204: { description: 'Deleted' } },
      errors: [403],
    },
    async (ctx) => {
      await c.comments.remove(actorOf(ctx), ctx.params.id, ctx.params.commentId);
      return undefined;
    },
  );

  r.post(
    '/content/:id/review',
    {
      summary: 'Move a content item through review',
      description:
        'draft → in_review (`submit`, by the author, with `reviewers`: usernames of team members) → `approve` or `request_changes` (an assigned reviewer or a team admin) → `publish` (a team admin; the owner for personal content), which pins the current version. A new version after approval returns the content to draft. A state that does not allow the action answers 409.',
      tags: ['Collaboration'],
      auth: 'user',
      params: idParams,
      body: z
        .object({
          action: z.enum(['submit', 'approve', 'request_changes', 'publish']),
          reviewers: z.array(z.string().min(1).max(64)).max(20).optional(),
          note: z.string().max(2_000).optional(),
        })
        .strict(),
      responses: { 200: { description: 'The content after the action', schema: contentSchema } },
      errors: [403, 409],
    },
    async (ctx) => presentContent(await c.review.act(actorOf(ctx), ctx.params.id, ctx.body)),
  );

  r.get(
    '/content/:id/reviewers',
    {
      summary: 'The reviewers of a content item and their decisions',
      tags: ['Collaboration'],
      auth: 'user',
      params: idParams,
      responses: { 200: { description: 'Reviewers', schema: z.object({ items: z.array(reviewerSchema) }) } },
    },
    async (ctx) => ({ items: (await c.review.reviewers(actorOf(ctx), ctx.params.id)).map(presentReviewer) }),
  );

  r.get(
    '/content/:id/activity',
    {
      summary: 'The history of a content item in time order',
      description: `Versions, comments, review actions, exports and shares, oldest first (at most 500). ${ACCESS}`,
      tags: ['Collaboration'],
      auth: 'user',
      params: idParams,
      responses: {
        200: { description: 'Activity', schema: z.object({ items: z.array(activityItemSchema) }) },
      },
    },
    async (ctx) => ({ items: (await c.activity.list(actorOf(ctx), ctx.params.id)).map(presentActivity) }),
  );

  return r.router;
}
