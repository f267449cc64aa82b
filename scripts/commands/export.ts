import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SingleBar } from 'cli-progress';
import { type Command, Option } from 'commander';
import { eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { ContentRecord } from '../../src/core/content/ports.js';
import { safeFilename } from '../../src/core/export/filename.js';
import { EXPORT_FORMATS, type ExportFormat } from '../../src/core/export/types.js';
import { createContentRepository } from '../../src/models/contentRepository.js';
import type { Db } from '../../src/models/db.js';
import { users } from '../../src/models/schema.js';
import { withSwitchyard } from './_boot.js';

interface Options {
  all?: boolean;
  user?: string;
  since?: string;
  format: ExportFormat;
  out: string;
  overwrite?: boolean;
}

export interface ExportSummary {
  total: number;
  written: number;
  skipped: number;
  failed: Array<{ id: string; title: string; error: string }>;
}

const BATCH = 100;

/**
 * The file a content item's current version is written to: a safe ASCII name from the title, the
 * version, and the content id (so two items with the same title never collide). Deterministic, so
 * a re-run finds what it already wrote; a newer version gets a new file.
 */
export function exportFileName(
  c: Pick<ContentRecord, 'id' | 'title' | 'version'>,
  extension: string,
): string {
  return `${safeFilename(c.title, c.version, '')}-${c.id}.${extension}`;
}

async function resolveUser(db: Db, ref: string): Promise<{ id: string; username: string }> {
  const byId = z.uuid().safeParse(ref).success;
  const [u] = await db
    .select({ id: users.id, username: users.username })
    .from(users)
    .where(byId ? eq(users.id, ref) : eq(sql`lower(${users.username})`, ref.toLowerCase()));
  if (!u) throw new Error(`No user with ${byId ? 'id' : 'username'} "${ref}"`);
  return u;
}

/** Writes one file per content item into `outDir`, skipping files that already exist. */
export async function exportToDirectory(
  db: Db,
  o: {
    outDir: string;
    format: ExportFormat;
    userId?: string;
    updatedSince?: Date;
    overwrite?: boolean;
    onProgress?: (done: number, total: number) => void;
    onStart?: (total: number) => void;
  },
): Promise<ExportSummary> {
  // Loaded here rather than at the top: every CLI command imports this file, and the PDF/DOCX
  // libraries behind the exporters are slow to load.
  const { exportContent, exporters } = await import('../../src/core/export/index.js');
  const repo = createContentRepository(db);
  await mkdir(o.outDir, { recursive: true });
  const filter = { userId: o.userId, updatedSince: o.updatedSince };
  const summary: ExportSummary = { total: await repo.countAll(filter), written: 0, skipped: 0, failed: [] };
  o.onStart?.(summary.total);
  let done = 0;
  let afterId: string | undefined;
  for (;;) {
    const batch = await repo.scan({ ...filter, afterId, limit: BATCH });
    if (batch.length === 0) break;
    afterId = batch.at(-1)!.id;
    for (const c of batch) {
      const target = path.join(o.outDir, exportFileName(c, exporters[o.format].extension));
      if (!o.overwrite && existsSync(target)) {
        summary.skipped++;
      } else {
        // Written under a temporary name and renamed, so an interrupted run never leaves a
        // half-written file that the next run would skip.
        const partial = `${target}.partial-${process.pid}`;
        try {
          const file = await exportContent({
            format: o.format,
            id: c.id,
            taskId: c.taskId,
            title: c.title,
            contentData: c.contentData,
            contentType: c.contentType,
            version: c.version,
            status: c.status,
            metadata: c.metadata,
            createdAt: c.createdAt,
            updatedAt: c.updatedAt,
          });
          await writeFile(partial, file.body);
          await rename(partial, target);
          summary.written++;
        } catch (e) {
          await rm(partial, { force: true });
          summary.failed.push({ id: c.id, title: c.title, error: (e as Error).message });
        }
      }
      o.onProgress?.(++done, Math.max(summary.total, done));
    }
  }
  summary.total = Math.max(summary.total, done);
  return summary;
}

export function register(program: Command): void {
  program
    .command('export')
    .description(
      'Export content to files, one per content item (its current version). Files already there are skipped, so a re-run only adds what is new or changed.',
    )
    .option('--all', 'export every user’s content')
    .option('--user <username|id>', 'export only this user’s content')
    .option(
      '--since <ISO date>',
      'only content changed at or after this date (e.g. 2025-01-31 or 2025-01-31T12:00:00Z)',
    )
    .addOption(
      new Option('-f, --format <format>', 'file format').choices([...EXPORT_FORMATS]).default('markdown'),
    )
    .requiredOption('-o, --out <dir>', 'directory to write the files to (created if missing)')
    .option('--overwrite', 'rewrite files that already exist instead of skipping them')
    .addHelpText(
      'after',
      '\nExamples:\n  npm run cli -- export --all --format markdown --out ./export\n  npm run cli -- export --user alice --since 2025-01-01 --format pdf --out ./alice-pdf',
    )
    .action(async (o: Options) => {
      if (!o.all && !o.user) throw new Error('Choose what to export: --all, or --user <username|id>');
      if (o.all && o.user) throw new Error('Use either --all or --user, not both');
      let updatedSince: Date | undefined;
      if (o.since !== undefined) {
        updatedSince = new Date(o.since);
        if (!/^\d{4}-\d{2}-\d{2}/.test(o.since) || Number.isNaN(updatedSince.getTime()))
          throw new Error(
            `--since must be an ISO date such as 2025-01-31 or 2025-01-31T12:00:00Z, not "${o.since}"`,
          );
      }
      const outDir = path.resolve(o.out);
      await withSwitchyard(async (sy) => {
        const user = o.user ? await resolveUser(sy.db, o.user) : undefined;
        const bar = new SingleBar({
          format: 'Exporting [{bar}] {value}/{total} {percentage}% | ETA {eta}s',
          stream: process.stderr,
          hideCursor: true,
          clearOnComplete: false,
        });
        let started = false;
        const summary = await exportToDirectory(sy.db, {
          outDir,
          format: o.format,
          userId: user?.id,
          updatedSince,
          overwrite: o.overwrite,
          onStart: (total) => {
            if (total > 0) {
              bar.start(total, 0);
              started = true;
            }
          },
          onProgress: (done, total) => {
            if (!started) return;
            bar.setTotal(total);
            bar.update(done);
          },
        });
        if (started) bar.stop();
        for (const f of summary.failed) process.stderr.write(`failed: ${f.id} "${f.title}": ${f.error}\n`);
        const who = user ? ` of ${user.username}` : '';
        process.stdout.write(
          `Exported ${summary.total} content item(s)${who} as ${o.format} to ${outDir}: ${summary.written} written, ${summary.skipped} skipped, ${summary.failed.length} failed\n`,
        );
        if (summary.failed.length > 0) process.exitCode = 1;
      });
    });
}
