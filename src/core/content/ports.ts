/**
 * What the content use cases (contentService.ts) need from storage. Implemented in
 * src/models/contentRepository.ts.
 */
export const CONTENT_STATUSES = ['draft', 'published', 'archived'] as const;
export type ContentStatus = (typeof CONTENT_STATUSES)[number];

export const REVIEW_STATES = ['draft', 'in_review', 'changes_requested', 'approved', 'published'] as const;
export type ReviewState = (typeof REVIEW_STATES)[number];

export const VERSION_SOURCES = ['generation', 'edit', 'restore', 'regeneration'] as const;
export type VersionSource = (typeof VERSION_SOURCES)[number];

/** A content item: its current version's title, body and provenance. */
export interface ContentRecord {
  id: string;
  taskId: string | null;
  userId: string;
  /** The owning team (from the task that generated it); null = personal. */
  teamId: string | null;
  title: string;
  contentType: string;
  contentData: string;
  version: number;
  status: ContentStatus;
  /** Provenance of the current version (a copy of that version's metadata). */
  metadata: Record<string, unknown>;
  /** The review workflow's state (core/collab/reviewService.ts). */
  reviewState: ReviewState;
  /** The version pinned by the last publish; null until published. */
  publishedVersion: number | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A content item without its body: enough to check access and pick versions. */
export type ContentHead = Omit<ContentRecord, 'contentData'>;

export interface VersionSummary {
  version: number;
  createdAt: Date;
  /** The user who made it (the task owner for generations), null when that user is gone. */
  createdBy: string | null;
  source: VersionSource;
}

/** One immutable version with its provenance. */
export interface VersionRecord extends VersionSummary {
  contentId: string;
  title: string;
  contentData: string;
  /** The task that generated it (generation, regeneration). */
  taskId: string | null;
  metadata: Record<string, unknown>;
}

export interface ShareRecord {
  id: string;
  contentId: string;
  userId: string;
  /** Pinned version; null = whatever is current when the link is opened. */
  version: number | null;
  expiresAt: Date;
  revokedAt: Date | null;
  createdAt: Date;
}

export interface ContentListQuery {
  /** Only this user's content; unset = everyone's (admins, the export CLI). */
  userId?: string;
  /** Only this team's content. */
  teamId?: string;
  /** Case-insensitive substring of the title or the body. */
  q?: string;
  taskId?: string;
  status?: ContentStatus;
  /** Only content changed at or after this instant. */
  updatedSince?: Date;
  page: number;
  limit: number;
}

/** A version the use case wants appended (the store numbers it). */
export interface NewVersion {
  title: string;
  contentData: string;
  source: 'edit' | 'restore';
  createdBy: string;
  metadata: Record<string, unknown>;
}

/** What to do with a locked content row: append a version, change the status, both, or nothing. */
export interface ChangePlan {
  version?: NewVersion;
  status?: ContentStatus;
}

/** Where a regeneration gets its prompt from: the task that generated the content, or the provenance. */
export interface RegenerationSource {
  description: string;
  taskType: string;
  options: { maxTokens?: number; temperature?: number; model?: string };
}

export interface ContentRepository {
  get(id: string): Promise<ContentRecord | null>;
  /** Like get, without loading the (possibly 1 MB) body. */
  head(id: string): Promise<ContentHead | null>;
  /**
   * The stored size in bytes (UTF-8) of these versions' bodies, read without loading them; a
   * version that does not exist is absent from the map.
   */
  versionBytes(contentId: string, versions: number[]): Promise<Map<number, number>>;
  versions(contentId: string): Promise<VersionSummary[]>;
  version(contentId: string, version: number): Promise<VersionRecord | null>;
  list(q: ContentListQuery): Promise<{ items: ContentRecord[]; total: number }>;
  /**
   * Locks the content row (SELECT … FOR UPDATE, in one transaction with the writes), hands the
   * current state to `decide`, and applies its plan: a new version is numbered current + 1 while the
   * lock is held, so concurrent changes (edits, restores, regenerations) serialise and none is lost.
   * `decide` may throw to abort (e.g. a stale baseVersion). Null when the content does not exist.
   */
  change(
    id: string,
    decide: (current: ContentRecord) => ChangePlan,
  ): Promise<{ content: ContentRecord; created: VersionSummary | null } | null>;
  delete(id: string): Promise<boolean>;
  regenerationSource(contentId: string): Promise<RegenerationSource | null>;

  createShare(s: {
    contentId: string;
    userId: string;
    tokenHash: string;
    version: number | null;
    expiresAt: Date;
  }): Promise<ShareRecord>;
  listShares(
    contentId: string,
    page: number,
    limit: number,
  ): Promise<{ items: ShareRecord[]; total: number }>;
  /** Revokes a share of this content; `changed` is false when it was already revoked. Null when unknown. */
  revokeShare(contentId: string, shareId: string): Promise<{ share: ShareRecord; changed: boolean } | null>;
  /**
   * The share with this token hash, its content and the content owner's account status, when the
   * share is neither revoked nor expired (database clock).
   */
  findActiveShare(
    tokenHash: string,
  ): Promise<{ share: ShareRecord; content: ContentRecord; ownerStatus: 'active' | 'suspended' } | null>;
}
