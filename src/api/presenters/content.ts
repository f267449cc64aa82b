import { z } from 'zod';
import type { ShareState } from '../../core/content/contentService.js';
import type { ContentRecord, ShareRecord, VersionRecord, VersionSummary } from '../../core/content/ports.js';
import { CONTENT_STATUSES, REVIEW_STATES, VERSION_SOURCES } from '../../core/content/ports.js';

export const contentSchema = z.object({
  id: z.string(),
  taskId: z.string().nullable(),
  userId: z.string(),
  teamId: z.string().nullable().describe('The owning team; null = personal'),
  title: z.string(),
  contentType: z.string(),
  contentData: z.string(),
  version: z.number(),
  status: z.enum(CONTENT_STATUSES),
  metadata: z
    .record(z.string(), z.unknown())
    .describe(
      'Provenance of the current version: for a generation the provider, model, account, tokens, latency, fallback chain and prompt; for an edit or restore who made it (and the generation it derives from)',
    ),
  reviewState: z
    .enum(REVIEW_STATES)
    .describe(
      'draft → in_review → changes_requested | approved → published; a new version after approval returns to draft',
    ),
  publishedVersion: z.number().nullable().describe('The version pinned by the last publish'),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const contentVersionItemSchema = z.object({
  version: z.number(),
  createdAt: z.string(),
  createdBy: z.string().nullable(),
  source: z.enum(VERSION_SOURCES),
});

export const contentVersionSchema = z.object({
  contentId: z.string(),
  version: z.number(),
  title: z.string(),
  contentType: z.string(),
  contentData: z.string(),
  source: z.enum(VERSION_SOURCES),
  createdBy: z.string().nullable(),
  taskId: z.string().nullable(),
  metadata: z.record(z.string(), z.unknown()).describe('Provenance of this version'),
  createdAt: z.string(),
});

export const shareSchema = z.object({
  id: z.string(),
  contentId: z.string(),
  version: z.number().nullable().describe('The pinned version; null = the current version'),
  state: z.enum(['active', 'expired', 'revoked']),
  expiresAt: z.string(),
  revokedAt: z.string().nullable(),
  createdAt: z.string(),
});

export const shareCreatedSchema = z.object({
  id: z.string(),
  token: z.string().describe('Shown only here; stored hashed'),
  url: z.string(),
  expiresAt: z.string(),
  version: z.number().nullable(),
});

export const contentDiffSchema = z.object({
  from: z.number(),
  to: z.number(),
  diff: z.string().describe('Unified diff text'),
  additions: z.number(),
  deletions: z.number(),
  identical: z.boolean(),
  hunks: z.array(
    z.object({ oldStart: z.number(), oldLines: z.number(), newStart: z.number(), newLines: z.number() }),
  ),
});

export function presentContent(c: ContentRecord): z.infer<typeof contentSchema> {
  return {
    id: c.id,
    taskId: c.taskId,
    userId: c.userId,
    teamId: c.teamId ?? null,
    title: c.title,
    contentType: c.contentType,
    contentData: c.contentData,
    version: c.version,
    status: c.status,
    metadata: c.metadata,
    reviewState: c.reviewState,
    publishedVersion: c.publishedVersion,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

export function presentContentVersions(
  versions: VersionSummary[],
): Array<z.infer<typeof contentVersionItemSchema>> {
  return versions.map((v) => ({
    version: v.version,
    createdAt: v.createdAt.toISOString(),
    createdBy: v.createdBy,
    source: v.source,
  }));
}

export function presentContentVersion(
  c: ContentRecord,
  v: VersionRecord,
): z.infer<typeof contentVersionSchema> {
  return {
    contentId: c.id,
    version: v.version,
    title: v.title,
    contentType: c.contentType,
    contentData: v.contentData,
    source: v.source,
    createdBy: v.createdBy,
    taskId: v.taskId,
    metadata: v.metadata,
    createdAt: v.createdAt.toISOString(),
  };
}

export function presentShare(s: ShareRecord & { state: ShareState }): z.infer<typeof shareSchema> {
  return {
    id: s.id,
    contentId: s.contentId,
    version: s.version,
    state: s.state,
    expiresAt: s.expiresAt.toISOString(),
    revokedAt: s.revokedAt ? s.revokedAt.toISOString() : null,
    createdAt: s.createdAt.toISOString(),
  };
}
