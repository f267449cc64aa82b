import type { Actor } from '../actor.js';
import type { AuditSink } from '../audit/audit.js';
import type { ContentRecord } from '../content/ports.js';
import { renderMarkdownToSafeHtml } from '../content/render.js';
import { badRequest, forbidden, notFound } from '../errors.js';
import type { TeamMembership } from '../tasks/ports.js';
import { mayOnContent, userMayRead } from './access.js';
import { extractMentions } from './mentions.js';
import type { Notifier } from './notifier.js';
import type { CommentRecord, CommentStore, UserLookup } from './ports.js';

export const MAX_COMMENT_CHARS = 20_000;
export const MAX_QUOTE_CHARS = 2_000;

/** Reads a content item for a viewer, or throws 404 (ContentService.get). */
export type ContentReader = (viewer: Actor, id: string) => Promise<ContentRecord>;

export interface CommentView extends CommentRecord {
  /** The body rendered to HTML with the content sanitiser. */
  bodyHtml: string;
  replies: CommentView[];
}

/**
 * Threaded comments on a content version. Whoever may read the content may comment; the author,
 * a team admin (the owner for personal content) or a site admin may edit, resolve or delete.
 * `@username` mentions of people who may read the content notify them.
 */
export class CommentService {
  constructor(
    private readonly deps: {
      read: ContentReader;
      store: CommentStore;
      users: UserLookup;
      notifier: Notifier;
      teams?: TeamMembership;
      audit?: AuditSink;
      contentUrl: (contentId: string) => string;
    },
  ) {}

  async list(viewer: Actor, contentId: string): Promise<CommentView[]> {
    await this.deps.read(viewer, contentId);
    return thread(await this.deps.store.list(contentId));
  }

  async create(
    viewer: Actor,
    contentId: string,
    input: { body: string; version?: number; quote?: string; parentId?: string },
  ): Promise<CommentView> {
    const content = await this.deps.read(viewer, contentId);
    const body = input.body.trim();
    if (!body) throw badRequest('The comment is empty');
    const version = input.version ?? content.version;
    if (version > content.version) throw notFound(`Version ${version}`);
    let parentId: string | null = null;
    if (input.parentId) {
      const parent = await this.deps.store.get(contentId, input.parentId);
      if (!parent) throw notFound('Comment');
      // Replies attach to the thread's first comment: threads are one level deep.
      parentId = parent.parentId ?? parent.id;
    }
    const c = await this.deps.store.create({
      contentId,
      version,
      authorId: viewer.userId,
      body,
      quote: input.quote?.trim() || null,
      parentId,
    });
    await this.mention(viewer, content, c);
    await this.record(viewer, 'content.comment.create', contentId, { commentId: c.id });
    return view(c);
  }

  async update(
    viewer: Actor,
    contentId: string,
    commentId: string,
    change: { body?: string; resolved?: boolean },
  ): Promise<CommentView> {
    if (change.body === undefined && change.resolved === undefined)
      throw badRequest('Nothing to change: send body and/or resolved');
    const content = await this.deps.read(viewer, contentId);
    const existing = await this.deps.store.get(contentId, commentId);
    if (!existing) throw notFound('Comment');
    await this.assertMayChange(viewer, content, existing);
    const body = change.body?.trim();
    if (body === '') throw badRequest('The comment is empty');
    const c = await this.deps.store.update(contentId, commentId, {
      ...(body !== undefined ? { body } : {}),
      ...(change.resolved !== undefined ? { resolved: change.resolved } : {}),
      by: viewer.userId,
    });
    if (!c) throw notFound('Comment');
    if (body !== undefined && body !== existing.body) await this.mention(viewer, content, c, existing.body);
    await this.record(viewer, 'content.comment.update', contentId, {
      commentId,
      ...(change.resolved !== undefined ? { resolved: change.resolved } : {}),
    });
    return view(c);
  }

  async remove(viewer: Actor, contentId: string, commentId: string): Promise<void> {
    const content = await this.deps.read(viewer, contentId);
    const existing = await this.deps.store.get(contentId, commentId);
    if (!existing) throw notFound('Comment');
    await this.assertMayChange(viewer, content, existing);
    await this.deps.store.delete(contentId, commentId);
    await this.record(viewer, 'content.comment.delete', contentId, { commentId });
  }

  private async assertMayChange(viewer: Actor, content: ContentRecord, c: CommentRecord) {
    if (c.authorId === viewer.userId) return;
    if (await mayOnContent(this.deps.teams, viewer, content, 'comments.moderate')) return;
    throw forbidden('Only the comment’s author or a team admin can change it');
  }

  /** Notifies the people newly mentioned (not in `before`) who may read the content, except the author. */
  private async mention(viewer: Actor, content: ContentRecord, c: CommentRecord, before = '') {
    const already = new Set(extractMentions(before));
    const names = extractMentions(c.body).filter((n) => !already.has(n));
    if (names.length === 0) return;
    const found = await this.deps.users.byUsernames(names);
    const targets: string[] = [];
    for (const u of found) {
      if (u.id === viewer.userId) continue;
      if (await userMayRead(this.deps.teams, u.id, content)) targets.push(u.id);
    }
    const who = viewer.username ?? 'Someone';
    await this.deps.notifier.notify(
      targets,
      'mention',
      {
        contentId: content.id,
        commentId: c.id,
        title: content.title,
        by: who,
        excerpt: c.body.slice(0, 200),
      },
      `${who} mentioned you on "${content.title}": ${c.body.slice(0, 300)}\n${this.deps.contentUrl(content.id)}`,
    );
  }

  private async record(viewer: Actor, action: string, contentId: string, details: Record<string, unknown>) {
    await this.deps.audit?.record({
      actorId: viewer.userId,
      action,
      targetType: 'content',
      targetId: contentId,
      ip: viewer.ip ?? null,
      details,
    });
  }
}

function view(c: CommentRecord): CommentView {
  return { ...c, bodyHtml: renderMarkdownToSafeHtml(c.body), replies: [] };
}

/** Top-level comments in time order, each with its replies in time order. */
export function thread(rows: CommentRecord[]): CommentView[] {
  const top: CommentView[] = [];
  const byId = new Map<string, CommentView>();
  for (const r of rows) {
    const v = view(r);
    byId.set(r.id, v);
    if (!r.parentId) top.push(v);
  }
  for (const r of rows) {
    if (!r.parentId) continue;
    const parent = byId.get(r.parentId);
    if (parent) parent.replies.push(byId.get(r.id)!);
    else top.push(byId.get(r.id)!);
  }
  return top;
}
