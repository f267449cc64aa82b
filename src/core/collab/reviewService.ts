import type { Actor } from '../actor.js';
import type { AuditSink } from '../audit/audit.js';
import type { ContentRecord, ReviewState } from '../content/ports.js';
import { badRequest, conflict, forbidden } from '../errors.js';
import type { TeamMembership } from '../tasks/ports.js';
import { mayOnContent, userMayRead } from './access.js';
import type { ContentReader } from './commentService.js';
import type { Notifier } from './notifier.js';
import type { ReviewAction, ReviewerRecord, ReviewStore, UserLookup } from './ports.js';

/**
 * The review workflow: draft → in_review → changes_requested | approved → published.
 *
 * | action          | from                         | to                | who                                          |
 * |-----------------|------------------------------|-------------------|----------------------------------------------|
 * | submit          | draft, changes_requested     | in_review         | the content's author (owner)                 |
 * | approve         | in_review                    | approved          | an assigned reviewer, a team admin           |
 * | request_changes | in_review                    | changes_requested | an assigned reviewer, a team admin           |
 * | publish         | approved                     | published         | a team admin (personal content: its owner)   |
 *
 * Site admins may do everything. One approval suffices. A new version of approved or published
 * content returns it to draft (a database trigger, so edits, restores and regenerations all count);
 * the published version stays pinned.
 */
const RULES: Record<ReviewAction, { from: readonly ReviewState[]; to: ReviewState }> = {
  submit: { from: ['draft', 'changes_requested'], to: 'in_review' },
  approve: { from: ['in_review'], to: 'approved' },
  request_changes: { from: ['in_review'], to: 'changes_requested' },
  publish: { from: ['approved'], to: 'published' },
};

export class ReviewService {
  constructor(
    private readonly deps: {
      read: ContentReader;
      store: ReviewStore;
      users: UserLookup;
      notifier: Notifier;
      teams?: TeamMembership;
      audit?: AuditSink;
      contentUrl: (contentId: string) => string;
    },
  ) {}

  reviewers(viewer: Actor, contentId: string): Promise<ReviewerRecord[]> {
    return this.deps.read(viewer, contentId).then((c) => this.deps.store.reviewers(c.id));
  }

  async act(
    viewer: Actor,
    contentId: string,
    req: { action: ReviewAction; reviewers?: string[]; note?: string },
  ): Promise<ContentRecord> {
    const content = await this.deps.read(viewer, contentId);
    const rule = RULES[req.action];
    const current = await this.deps.store.reviewers(content.id);
    await this.authorize(viewer, content, req.action, current);
    if (!rule.from.includes(content.reviewState)) throw this.wrongState(req.action, content.reviewState);

    let reviewerIds: string[] | undefined;
    if (req.action === 'submit') {
      reviewerIds = req.reviewers?.length
        ? await this.resolveReviewers(content, req.reviewers)
        : current.map((r) => r.userId);
      if (reviewerIds.length === 0) throw badRequest('Name at least one reviewer (`reviewers`: usernames)');
    } else if (req.reviewers?.length) {
      throw badRequest('`reviewers` goes with the submit action only');
    }
    const note = req.note?.trim() || null;
    const done = await this.deps.store.transition({
      contentId: content.id,
      actorId: viewer.userId,
      action: req.action,
      from: rule.from,
      to: rule.to,
      note,
      ...(reviewerIds ? { reviewers: reviewerIds } : {}),
      ...(req.action === 'approve' || req.action === 'request_changes'
        ? {
            decision: {
              userId: viewer.userId,
              value: req.action === 'approve' ? 'approved' : 'changes_requested',
            },
          }
        : {}),
      publish: req.action === 'publish',
    });
    if (!done) throw conflict('The review moved on meanwhile: reload the content and try again');
    await this.deps.audit?.record({
      actorId: viewer.userId,
      action: `content.review.${req.action}`,
      targetType: 'content',
      targetId: content.id,
      ip: viewer.ip ?? null,
      details: { from: done.fromState, to: rule.to, version: done.version },
    });
    await this.announce(viewer, content, req.action, reviewerIds ?? [], note);
    return this.deps.read(viewer, content.id);
  }

  private async authorize(
    viewer: Actor,
    content: ContentRecord,
    action: ReviewAction,
    reviewers: ReviewerRecord[],
  ): Promise<void> {
    const teams = this.deps.teams;
    let ok: boolean;
    if (action === 'submit') ok = content.userId === viewer.userId || viewer.isAdmin;
    else if (action === 'publish') ok = await mayOnContent(teams, viewer, content, 'content.publish');
    else
      ok =
        reviewers.some((r) => r.userId === viewer.userId) ||
        (content.teamId !== null && (await mayOnContent(teams, viewer, content, 'content.publish'))) ||
        viewer.isAdmin;
    if (!ok) throw forbidden(FORBIDDEN[action]);
  }

  /** Reviewers by username: people who may read the content, not its author. */
  private async resolveReviewers(content: ContentRecord, names: string[]) {
    const wanted = [...new Set(names.map((n) => n.replace(/^@/, '').toLowerCase()))];
    const found = await this.deps.users.byUsernames(wanted);
    const ids: string[] = [];
    const refused: string[] = [];
    for (const name of wanted) {
      const u = found.find((f) => f.username.toLowerCase() === name);
      if (!u || u.id === content.userId || !(await userMayRead(this.deps.teams, u.id, content)))
        refused.push(name);
      else ids.push(u.id);
    }
    if (refused.length)
      throw badRequest(
        `Reviewers must be other people who can read this content (its team's members): ${refused.join(', ')}`,
        { reviewers: refused },
      );
    return ids;
  }

  private async announce(
    viewer: Actor,
    content: ContentRecord,
    action: ReviewAction,
    reviewerIds: string[],
    note: string | null,
  ) {
    const who = viewer.username ?? 'Someone';
    const url = this.deps.contentUrl(content.id);
    const base = { contentId: content.id, title: content.title, by: who, action, ...(note ? { note } : {}) };
    if (action === 'submit') {
      await this.deps.notifier.notify(
        reviewerIds.filter((id) => id !== viewer.userId),
        'review_request',
        base,
        `${who} asked you to review "${content.title}"${note ? `: ${note}` : ''}\n${url}`,
      );
    } else if (content.userId !== viewer.userId) {
      const verb = { approve: 'approved', request_changes: 'requested changes to', publish: 'published' }[
        action
      ];
      await this.deps.notifier.notify(
        [content.userId],
        'review_decision',
        base,
        `${who} ${verb} "${content.title}"${note ? `: ${note}` : ''}\n${url}`,
      );
    }
  }

  private wrongState(action: ReviewAction, state: ReviewState) {
    return conflict(`Cannot ${action.replace('_', ' ')} content that is ${state.replace('_', ' ')}`, {
      reviewState: state,
      allowedFrom: RULES[action].from,
    });
  }
}

const FORBIDDEN: Record<ReviewAction, string> = {
  submit: 'Only the author can submit this content for review',
  approve: 'Only an assigned reviewer or a team admin can approve',
  request_changes: 'Only an assigned reviewer or a team admin can request changes',
  publish: 'Only a team admin can publish',
};
