import { z } from 'zod';
import type { CommentView } from '../../core/collab/commentService.js';
import type { ActivityItem, NotificationRecord, ReviewerRecord } from '../../core/collab/ports.js';

const commentFields = {
  id: z.string(),
  contentId: z.string(),
  version: z.number().describe('The version the comment is about'),
  authorId: z.string().nullable(),
  authorUsername: z.string().nullable(),
  body: z.string().describe('Markdown as written'),
  bodyHtml: z.string().describe('The body rendered with the content sanitiser'),
  quote: z.string().nullable().describe('The quoted passage the comment is anchored to'),
  parentId: z.string().nullable(),
  resolved: z.boolean(),
  resolvedAt: z.string().nullable(),
  resolvedBy: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
};

export const commentSchema = z.object({
  ...commentFields,
  replies: z.array(z.object(commentFields)).describe('Replies in time order (threads are one level deep)'),
});

export function presentComment(c: CommentView): z.infer<typeof commentSchema> {
  const flat = (x: CommentView) => ({
    id: x.id,
    contentId: x.contentId,
    version: x.version,
    authorId: x.authorId,
    authorUsername: x.authorUsername,
    body: x.body,
    bodyHtml: x.bodyHtml,
    quote: x.quote,
    parentId: x.parentId,
    resolved: x.resolvedAt !== null,
    resolvedAt: x.resolvedAt?.toISOString() ?? null,
    resolvedBy: x.resolvedBy,
    createdAt: x.createdAt.toISOString(),
    updatedAt: x.updatedAt.toISOString(),
  });
  return { ...flat(c), replies: c.replies.map(flat) };
}

export const notificationSchema = z.object({
  id: z.string(),
  kind: z.string().describe('mention, review_request, review_decision, budget_alert'),
  payload: z.record(z.string(), z.unknown()),
  read: z.boolean(),
  readAt: z.string().nullable(),
  createdAt: z.string(),
});

export function presentNotification(n: NotificationRecord): z.infer<typeof notificationSchema> {
  return {
    id: n.id,
    kind: n.kind,
    payload: n.payload,
    read: n.readAt !== null,
    readAt: n.readAt?.toISOString() ?? null,
    createdAt: n.createdAt.toISOString(),
  };
}

export const activityItemSchema = z.object({
  at: z.string(),
  kind: z.enum(['version', 'comment', 'review', 'export', 'share']),
  actorId: z.string().nullable(),
  actorUsername: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
});

export function presentActivity(a: ActivityItem): z.infer<typeof activityItemSchema> {
  return { ...a, at: a.at.toISOString() };
}

export const reviewerSchema = z.object({
  userId: z.string(),
  username: z.string().nullable(),
  decision: z.enum(['pending', 'approved', 'changes_requested']),
});

export const presentReviewer = (r: ReviewerRecord): z.infer<typeof reviewerSchema> => ({ ...r });
