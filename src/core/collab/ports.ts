import type { ReviewState } from '../content/ports.js';

/**
 * What the collaboration use cases (comments, notifications, review, activity) need from storage.
 * Implemented in src/models/collabStore.ts.
 */
export interface CommentRecord {
  id: string;
  contentId: string;
  version: number;
  authorId: string | null;
  authorUsername: string | null;
  body: string;
  quote: string | null;
  parentId: string | null;
  resolvedAt: Date | null;
  resolvedBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewComment {
  contentId: string;
  version: number;
  authorId: string;
  body: string;
  quote: string | null;
  parentId: string | null;
}

export interface CommentStore {
  create(c: NewComment): Promise<CommentRecord>;
  get(contentId: string, id: string): Promise<CommentRecord | null>;
  list(contentId: string): Promise<CommentRecord[]>;
  update(
    contentId: string,
    id: string,
    change: { body?: string; resolved?: boolean; by: string },
  ): Promise<CommentRecord | null>;
  /** Deletes the comment and its replies. */
  delete(contentId: string, id: string): Promise<boolean>;
}

export interface NotificationRecord {
  id: string;
  userId: string;
  kind: string;
  payload: Record<string, unknown>;
  readAt: Date | null;
  createdAt: Date;
}

export interface NotificationStore {
  /** One notification per user id (duplicates in `userIds` are written once). */
  createMany(
    userIds: string[],
    kind: string,
    payload: Record<string, unknown>,
  ): Promise<NotificationRecord[]>;
  list(
    userId: string,
    q: { unreadOnly: boolean; page: number; limit: number },
  ): Promise<{ items: NotificationRecord[]; total: number; unread: number }>;
  /** Marks these (or, without ids, all) of the user's notifications read; returns how many changed. */
  markRead(userId: string, ids: string[] | undefined): Promise<number>;
}

export interface UserLookup {
  /** Active, non-guest users by username (case-insensitive); unknown names are left out. */
  byUsernames(usernames: string[]): Promise<Array<{ id: string; username: string }>>;
  byIds(ids: string[]): Promise<Array<{ id: string; username: string }>>;
}

/** Sends a direct message to a user's linked chat identities (Slack, Discord, Telegram). */
export interface DirectMessenger {
  send(userId: string, text: string): Promise<void>;
}

export type ReviewAction = 'submit' | 'approve' | 'request_changes' | 'publish';

export interface ReviewEventRecord {
  id: string;
  contentId: string;
  actorId: string | null;
  actorUsername: string | null;
  action: string;
  fromState: string;
  toState: string;
  version: number;
  note: string | null;
  createdAt: Date;
}

export interface ReviewerRecord {
  userId: string;
  username: string | null;
  decision: 'pending' | 'approved' | 'changes_requested';
}

export interface ReviewStore {
  reviewers(contentId: string): Promise<ReviewerRecord[]>;
  /**
   * Locks the content row, checks `expect` against its state (and version) inside the lock, and
   * applies the transition: new state, optional reviewers (replacing the list), a reviewer's
   * decision, the pinned version on publish, and one history row. Null when the state moved on.
   */
  transition(t: {
    contentId: string;
    actorId: string;
    action: ReviewAction;
    from: readonly ReviewState[];
    to: ReviewState;
    note: string | null;
    reviewers?: string[];
    decision?: { userId: string; value: 'approved' | 'changes_requested' };
    publish?: boolean;
  }): Promise<{ fromState: ReviewState; version: number } | null>;
}

export interface ActivityItem {
  at: Date;
  kind: 'version' | 'comment' | 'review' | 'export' | 'share';
  actorId: string | null;
  actorUsername: string | null;
  details: Record<string, unknown>;
}

export interface ActivityStore {
  /** Versions, comments, review events and the audited exports and shares of a content item, oldest first. */
  activity(contentId: string, limit: number): Promise<ActivityItem[]>;
}
