import type { Actor } from '../actor.js';
import type { AuditSink } from '../audit/audit.js';
import { hashToken, randomToken } from '../auth/secrets.js';
import { AppError, badRequest, conflict, forbidden, notFound } from '../errors.js';
import type { ExportedFile, ExportFormat, ExportOptions } from '../export/index.js';
import type { TeamMembership } from '../tasks/ports.js';
import type { SubmitResult, SubmitTaskInput, TaskRecord } from '../tasks/types.js';
import { authorizeTeam, canTeam } from '../teams/authorization.js';
import type { UnifiedDiff } from './diff.js';
import { assertRenderable, assertVersionSize } from './limits.js';
import type {
  ChangePlan,
  ContentHead,
  ContentRecord,
  ContentRepository,
  ContentStatus,
  ShareRecord,
  VersionRecord,
  VersionSummary,
} from './ports.js';
import { exportWeight, inlineRenderer, type Renderer } from './renderer.js';
import { ShareBodyCache } from './shareBodyCache.js';
import type { ShareBody, SharePage } from './sharePage.js';

/*
 * Who may do what: the owner may do everything with their content. An admin may READ anyone's
 * content (list with all/userId, get, versions, diff, export, list shares) but changes stay with the
 * owner: an admin changing another user's content gets 403. Anyone else gets 404, as if the
 * content did not exist.
 */

export interface ContentEdit {
  title?: string;
  contentData?: string;
  status?: ContentStatus;
  /** Optimistic concurrency: the version the client edited; a different current version → 409. */
  baseVersion?: number;
}

export interface SharedContent {
  title: string;
  contentType: string;
  contentData: string;
  version: number;
  expiresAt: Date;
}

export interface CreatedShare {
  id: string;
  token: string;
  url: string;
  expiresAt: Date;
  version: number | null;
}

export interface ContentDiff extends UnifiedDiff {
  from: number;
  to: number;
}

export type ShareState = 'active' | 'expired' | 'revoked';

/** Share links live at most 30 days. */
export const MAX_SHARE_HOURS = 720;
export const SHARE_TOKEN_PREFIX = 'sy_sh_';
// randomToken's base64url alphabet; anything else cannot be one of our tokens.
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{10,200}$/;

// Assembling a page around a cached body is cheap; loaded on first use like the renderers.
let sharePageModule: Promise<typeof import('./sharePage.js')> | undefined;
const loadSharePage = () => {
  sharePageModule ??= import('./sharePage.js');
  return sharePageModule;
};

/** The provenance fields worth carrying from a generation onto the edits and restores made from it. */
const GENERATION_KEYS = ['provider', 'providerId', 'model', 'accountId', 'taskId', 'taskType', 'generatedAt'];

/**
 * The generation a version's text derives from: the version's own provenance when it was generated,
 * or what an edit/restore carried forward. Undefined for content with no generation behind it.
 */
export function generationOf(metadata: Record<string, unknown>): Record<string, unknown> | undefined {
  const carried = metadata.generation;
  if (carried && typeof carried === 'object' && !Array.isArray(carried))
    return carried as Record<string, unknown>;
  if (metadata.provider === undefined && metadata.providerId === undefined) return undefined;
  const out: Record<string, unknown> = {};
  for (const k of GENERATION_KEYS) if (metadata[k] !== undefined) out[k] = metadata[k];
  return out;
}

/**
 * The content use cases: versions with provenance, edits with optimistic concurrency, restore,
 * regenerate (through the task service), diff, export and share links.
 */
export class ContentService {
  private readonly renderer: Renderer;
  /** Rendered share-page bodies per (content id, version); see ShareBodyCache. */
  readonly shareBodies: ShareBodyCache;
  /** Share bodies being rendered right now, so simultaneous first hits render once. */
  private readonly rendering = new Map<string, Promise<ShareBody>>();

  constructor(
    private readonly deps: {
      store: ContentRepository;
      /** Submits the regeneration task (TaskCommands.submit). */
      tasks?: {
        submit(input: SubmitTaskInput, meta?: { teamChecked?: boolean }): Promise<SubmitResult>;
      };
      /** Team membership: a team's members read its content (without it content is personal). */
      teams?: TeamMembership;
      audit?: AuditSink;
      /** The admin setting `shares.defaultExpiresInHours`. */
      defaultShareHours: () => Promise<number>;
      /** The public URL of a share token (PUBLIC_URL + /s/<token>). */
      shareUrl: (token: string) => string;
      exportOptions?: ExportOptions;
      /** Where diff, export and share-page rendering runs (the server passes its worker pool). */
      renderer?: Renderer;
      shareBodies?: ShareBodyCache;
    },
  ) {
    this.renderer = deps.renderer ?? inlineRenderer;
    this.shareBodies = deps.shareBodies ?? new ShareBodyCache();
  }

  // --- reading -----------------------------------------------------------------------------------

  async list(
    viewer: Actor,
    q: {
      q?: string;
      taskId?: string;
      status?: ContentStatus;
      page: number;
      limit: number;
      userId?: string;
      teamId?: string;
      all?: boolean;
    },
  ): Promise<{ items: ContentRecord[]; total: number }> {
    if ((q.all || q.userId) && !viewer.isAdmin) throw forbidden('Only admins can list other users’ content');
    if (q.teamId && viewer.isAdmin && this.deps.teams && !(await this.deps.teams.exists(q.teamId)))
      throw notFound('Team');
    if (q.teamId && !viewer.isAdmin) {
      const teamRole = this.deps.teams ? await this.deps.teams.roleOf(q.teamId, viewer.userId) : null;
      authorizeTeam({ teamRole, siteAdmin: false }, 'content.read');
    }
    const q2 = q.q?.trim();
    return this.deps.store.list({
      ...(q.teamId ? { teamId: q.teamId } : {}),
      userId: q.userId ?? (q.all || q.teamId ? undefined : viewer.userId),
      q: q2 ? q2 : undefined,
      taskId: q.taskId,
      status: q.status,
      page: q.page,
      limit: q.limit,
    });
  }

  /** The content if the viewer may read it (owner, its team's members, or admin); 404 otherwise. */
  async get(viewer: Actor, id: string): Promise<ContentRecord> {
    const c = await this.deps.store.get(id);
    if (!c || !(await this.mayRead(viewer, c))) throw notFound('Content');
    return c;
  }

  private async mayRead(viewer: Actor, c: { userId: string; teamId: string | null }): Promise<boolean> {
    if (c.userId === viewer.userId || viewer.isAdmin) return true;
    if (!c.teamId || !this.deps.teams) return false;
    const teamRole = await this.deps.teams.roleOf(c.teamId, viewer.userId);
    return canTeam({ teamRole, siteAdmin: false }, 'content.read');
  }

  async getWithVersions(
    viewer: Actor,
    id: string,
  ): Promise<{ content: ContentRecord; versions: VersionSummary[] }> {
    const content = await this.get(viewer, id);
    return { content, versions: await this.deps.store.versions(content.id) };
  }

  async getVersion(
    viewer: Actor,
    id: string,
    version: number,
  ): Promise<{ content: ContentRecord; version: VersionRecord }> {
    const content = await this.get(viewer, id);
    return { content, version: await this.requireVersion(content.id, version) };
  }

  /** A unified diff between two versions; `to` defaults to the current one, `from` to the one before. */
  async diff(viewer: Actor, id: string, range: { from?: number; to?: number }): Promise<ContentDiff> {
    const content = await this.head(viewer, id);
    const to = range.to ?? content.version;
    const from = range.from ?? Math.max(1, to - 1);
    if (this.renderer.admit) {
      // Refuse a busy caller before loading two bodies of up to 1 MB each.
      const bytes = await this.deps.store.versionBytes(id, [from, to]);
      for (const v of [from, to]) if (!bytes.has(v)) throw notFound(`Version ${v}`);
      this.renderer.admit(viewer.userId, (bytes.get(from) ?? 0) + (bytes.get(to) ?? 0));
    }
    const [a, b] = await Promise.all([this.requireVersion(id, from), this.requireVersion(id, to)]);
    assertRenderable('a diff', from, a.contentData);
    assertRenderable('a diff', to, b.contentData);
    const d = await this.renderer.render(
      {
        kind: 'diff',
        input: {
          fromVersion: from,
          toVersion: to,
          fromText: a.contentData,
          toText: b.contentData,
          title: b.title,
        },
      },
      viewer.userId,
    );
    return { from, to, ...d };
  }

  /** Any version (default: the current one) as a file in one of the six formats. */
  async export(
    viewer: Actor,
    id: string,
    req: { format: ExportFormat; version?: number },
  ): Promise<ExportedFile> {
    const content = await this.head(viewer, id);
    const version = req.version ?? content.version;
    if (this.renderer.admit) {
      // Refuse a busy caller before loading a body of up to 1 MB.
      const bytes = (await this.deps.store.versionBytes(id, [version])).get(version);
      if (bytes === undefined) throw notFound(`Version ${version}`);
      this.renderer.admit(viewer.userId, exportWeight(req.format, bytes));
    }
    const v = await this.requireVersion(content.id, version);
    assertRenderable('export', v.version, v.contentData);
    const file = await this.renderer.render(
      {
        kind: 'export',
        source: {
          format: req.format,
          id: content.id,
          taskId: v.taskId ?? content.taskId,
          title: v.title,
          contentData: v.contentData,
          contentType: content.contentType,
          version: v.version,
          status: content.status,
          metadata: { ...v.metadata, source: v.source, createdBy: v.createdBy },
          createdAt: content.createdAt,
          updatedAt: v.createdAt,
        },
        ...(this.deps.exportOptions ? { options: this.deps.exportOptions } : {}),
      },
      viewer.userId,
    );
    // The content's activity timeline lists exports.
    await this.record(viewer, 'content.export', id, { format: req.format, version: v.version });
    return file;
  }

  // --- changing ----------------------------------------------------------------------------------

  /**
   * Edits the title, body and/or status. A changed title or body appends a version (source 'edit',
   * made by the viewer); a status change alone does not. With `baseVersion`, a content that moved on
   * meanwhile answers 409 and nothing is written.
   */
  async update(viewer: Actor, id: string, edit: ContentEdit): Promise<ContentRecord> {
    if (edit.title === undefined && edit.contentData === undefined && edit.status === undefined) {
      throw badRequest('Nothing to change: send title, contentData and/or status');
    }
    if (edit.contentData !== undefined) assertVersionSize(edit.contentData);
    await this.owned(viewer, id);
    let statusChanged = false;
    const out = await this.deps.store.change(id, (current) => {
      this.assertOwner(viewer, current);
      this.assertBase(current, edit.baseVersion);
      const title = edit.title ?? current.title;
      const contentData = edit.contentData ?? current.contentData;
      const changed = [
        ...(title !== current.title ? ['title'] : []),
        ...(contentData !== current.contentData ? ['contentData'] : []),
      ];
      const plan: ChangePlan = {};
      if (changed.length > 0) {
        const generation = generationOf(current.metadata);
        plan.version = {
          title,
          contentData,
          source: 'edit',
          createdBy: viewer.userId,
          metadata: {
            editedBy: { id: viewer.userId, ...(viewer.username ? { username: viewer.username } : {}) },
            baseVersion: current.version,
            changed,
            ...(generation ? { generation } : {}),
          },
        };
      }
      if (edit.status !== undefined && edit.status !== current.status) {
        plan.status = edit.status;
        statusChanged = true;
      }
      return plan;
    });
    if (!out) throw notFound('Content');
    if (out.created || statusChanged) {
      await this.record(viewer, 'content.update', id, {
        ...(out.created ? { version: out.created.version } : {}),
        ...(statusChanged ? { status: edit.status } : {}),
      });
    }
    return out.content;
  }

  /** Appends a new version (source 'restore') with the title and body of an earlier one. */
  async restore(
    viewer: Actor,
    id: string,
    req: { version: number; baseVersion?: number },
  ): Promise<ContentRecord> {
    await this.owned(viewer, id);
    const from = await this.requireVersion(id, req.version);
    const out = await this.deps.store.change(id, (current) => {
      this.assertOwner(viewer, current);
      this.assertBase(current, req.baseVersion);
      const generation = generationOf(from.metadata);
      return {
        version: {
          title: from.title,
          contentData: from.contentData,
          source: 'restore',
          createdBy: viewer.userId,
          metadata: {
            restoredBy: { id: viewer.userId, ...(viewer.username ? { username: viewer.username } : {}) },
            restoredFrom: from.version,
            baseVersion: current.version,
            ...(generation ? { generation } : {}),
          },
        },
      };
    });
    if (!out) throw notFound('Content');
    await this.record(viewer, 'content.restore', id, {
      restoredFrom: from.version,
      version: out.created?.version,
    });
    return out.content;
  }

  /**
   * Queues a task that re-runs the content's prompt; when it completes, its text becomes the next
   * version of this content (source 'regeneration') with that run's provenance.
   */
  async regenerate(
    viewer: Actor,
    id: string,
    req: { providerId?: string; source?: 'api' | 'portal' },
  ): Promise<TaskRecord> {
    if (!this.deps.tasks) throw new AppError('unavailable', 'Regeneration is not available here');
    const content = await this.owned(viewer, id);
    const src = await this.deps.store.regenerationSource(content.id);
    if (!src) throw conflict('This content has no known prompt, so it cannot be regenerated');
    const { task } = await this.deps.tasks.submit(
      {
        userId: content.userId,
        teamId: content.teamId,
        description: src.description,
        taskType: src.taskType,
        title: content.title,
        options: src.options,
        providerId: req.providerId ?? null,
        source: req.source ?? 'api',
        regenerateContentId: content.id,
      },
      { teamChecked: true },
    );
    await this.record(viewer, 'content.regenerate', id, { taskId: task.id });
    return task;
  }

  async remove(viewer: Actor, id: string): Promise<void> {
    await this.owned(viewer, id);
    if (!(await this.deps.store.delete(id))) throw notFound('Content');
    await this.record(viewer, 'content.delete', id);
  }

  // --- share links -------------------------------------------------------------------------------

  /**
   * A read-only public link. The token is shown once and stored only as a hash. A pinned version
   * keeps showing that version after later edits; without one the link shows the current version.
   */
  async createShare(
    viewer: Actor,
    id: string,
    req: { expiresInHours?: number; version?: number } = {},
  ): Promise<CreatedShare> {
    const content = await this.owned(viewer, id);
    if (req.version !== undefined) await this.requireVersion(content.id, req.version);
    const hours = req.expiresInHours ?? (await this.deps.defaultShareHours());
    if (!Number.isInteger(hours) || hours < 1 || hours > MAX_SHARE_HOURS) {
      throw badRequest(`expiresInHours must be a whole number from 1 to ${MAX_SHARE_HOURS}`);
    }
    const token = randomToken(SHARE_TOKEN_PREFIX);
    const share = await this.deps.store.createShare({
      contentId: content.id,
      userId: viewer.userId,
      tokenHash: hashToken(token),
      version: req.version ?? null,
      expiresAt: new Date(Date.now() + hours * 3_600_000),
    });
    await this.record(viewer, 'content.share.create', id, {
      shareId: share.id,
      version: share.version,
      expiresAt: share.expiresAt.toISOString(),
    });
    return {
      id: share.id,
      token,
      url: this.deps.shareUrl(token),
      expiresAt: share.expiresAt,
      version: share.version,
    };
  }

  async listShares(
    viewer: Actor,
    id: string,
    page: { page: number; limit: number },
  ): Promise<{ items: Array<ShareRecord & { state: ShareState }>; total: number }> {
    const content = await this.get(viewer, id);
    const { items, total } = await this.deps.store.listShares(content.id, page.page, page.limit);
    const now = Date.now();
    return {
      items: items.map((s) => ({
        ...s,
        state: s.revokedAt ? 'revoked' : s.expiresAt.getTime() <= now ? 'expired' : 'active',
      })),
      total,
    };
  }

  async revokeShare(viewer: Actor, id: string, shareId: string): Promise<void> {
    await this.owned(viewer, id);
    const out = await this.deps.store.revokeShare(id, shareId);
    if (!out) throw notFound('Share');
    if (out.changed) await this.record(viewer, 'content.share.revoke', id, { shareId });
  }

  /** What a share token shows, or null when it is unknown, expired or revoked. */
  async openShare(token: string): Promise<SharedContent | null> {
    return (await this.findShared(token))?.shared ?? null;
  }

  /**
   * The public HTML page for a share token (sanitized, with its own CSP), or null. The link's state
   * and the owner's status are checked in the database on every hit, before the cache is consulted;
   * only the rendered body is cached, per (content id, version), since the page also shows the
   * link's own expiry.
   */
  async sharePage(token: string): Promise<SharePage | null> {
    const found = await this.findShared(token);
    if (!found) return null;
    const { shared, contentId } = found;
    const body = await this.shareBody(contentId, shared);
    const { assembleSharePage } = await loadSharePage();
    return assembleSharePage({
      title: shared.title,
      version: shared.version,
      expiresAt: shared.expiresAt,
      body,
    });
  }

  private async shareBody(contentId: string, shared: SharedContent): Promise<ShareBody> {
    const cached = this.shareBodies.get(contentId, shared.version);
    if (cached) return cached;
    assertRenderable('the share page', shared.version, shared.contentData);
    const key = `${contentId}:${shared.version}`;
    let pending = this.rendering.get(key);
    if (!pending) {
      pending = this.renderer
        .render({ kind: 'shareBody', title: shared.title, markdown: shared.contentData })
        .then((body) => {
          this.shareBodies.set(contentId, shared.version, body);
          return body;
        })
        .finally(() => this.rendering.delete(key));
      this.rendering.set(key, pending);
    }
    return pending;
  }

  /**
   * The shared version behind a token, or null when the token is malformed, unknown, expired or
   * revoked, or the content's owner is suspended (their links stop until they are reinstated).
   */
  private async findShared(token: string): Promise<{ shared: SharedContent; contentId: string } | null> {
    if (!TOKEN_SHAPE.test(token)) return null;
    const found = await this.deps.store.findActiveShare(hashToken(token));
    if (found?.ownerStatus !== 'active') return null;
    const { share, content } = found;
    if (share.version === null) {
      return {
        contentId: content.id,
        shared: {
          title: content.title,
          contentType: content.contentType,
          contentData: content.contentData,
          version: content.version,
          expiresAt: share.expiresAt,
        },
      };
    }
    const v = await this.deps.store.version(content.id, share.version);
    if (!v) return null;
    return {
      contentId: content.id,
      shared: {
        title: v.title,
        contentType: content.contentType,
        contentData: v.contentData,
        version: v.version,
        expiresAt: share.expiresAt,
      },
    };
  }

  /** `ShareLinks` for the chat `share` command: a link with the default expiry. */
  shareLinks(): { create(userId: string, contentId: string): Promise<{ url: string; expiresAt: Date }> } {
    return {
      create: async (userId, contentId) => {
        const s = await this.createShare({ userId, isAdmin: false }, contentId);
        return { url: s.url, expiresAt: s.expiresAt };
      },
    };
  }

  // --- helpers -----------------------------------------------------------------------------------

  /** Like get, without the body. */
  private async head(viewer: Actor, id: string): Promise<ContentHead> {
    const c = await this.deps.store.head(id);
    if (!c || !(await this.mayRead(viewer, c))) throw notFound('Content');
    return c;
  }

  /** The content if the viewer owns it; 403 for an admin looking at someone else's, 404 for anyone else. */
  private async owned(viewer: Actor, id: string): Promise<ContentRecord> {
    const c = await this.get(viewer, id);
    this.assertOwner(viewer, c);
    return c;
  }

  /** Called after a read check passed: whoever may read but is not the owner (admin, team member) gets 403. */
  private assertOwner(viewer: Actor, c: ContentRecord): void {
    if (c.userId === viewer.userId) return;
    throw forbidden('Only the owner can change this content');
  }

  private assertBase(current: ContentRecord, baseVersion: number | undefined): void {
    if (baseVersion !== undefined && baseVersion !== current.version) {
      throw conflict(
        `The content is at version ${current.version}, not ${baseVersion}: reload it and apply your change again`,
        { currentVersion: current.version, baseVersion },
      );
    }
  }

  private async requireVersion(contentId: string, version: number): Promise<VersionRecord> {
    const v = await this.deps.store.version(contentId, version);
    if (!v) throw notFound(`Version ${version}`);
    return v;
  }

  private async record(viewer: Actor, action: string, contentId: string, details?: Record<string, unknown>) {
    if (!this.deps.audit) return;
    await this.deps.audit.record({
      actorId: viewer.userId,
      action,
      targetType: 'content',
      targetId: contentId,
      ip: viewer.ip ?? null,
      ...(details ? { details } : {}),
    });
  }
}
