import { FILE_HEADERS_ONLY, formatPatch, structuredPatch } from 'diff';
import { AppError } from '../errors.js';
import { cleanText } from './cleanText.js';
import { displayTitle } from './document.js';
import { normalizeNewlines } from './markdown.js';

export interface UnifiedDiffInput {
  fromVersion: number;
  toVersion: number;
  fromText: string;
  toText: string;
  title: string;
  /** Lines of context around each change (default 3, as in `diff -u`). */
  context?: number;
  /**
   * Give up after this long on huge, very different texts (default 10 s). Large diffs run on a
   * render-pool thread, not the event loop, so this bounds how long one diff can hold that thread.
   */
  timeoutMs?: number;
}

export interface DiffHunk {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
}

export interface UnifiedDiff {
  /** The patch in unified format, with `---`/`+++` headers naming both versions. */
  diff: string;
  /** Lines added and removed. */
  additions: number;
  deletions: number;
  hunks: DiffHunk[];
  identical: boolean;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * A line diff between two versions of a content body (jsdiff's structuredPatch + formatPatch).
 * Newlines are normalised first so a CRLF edit of an LF body is not a whole-file change.
 */
export function unifiedDiff(input: UnifiedDiffInput): UnifiedDiff {
  // The name goes into a header line: keep it on one line.
  const name = displayTitle(input.title, 'content');
  const patch = structuredPatch(
    name,
    name,
    normalizeNewlines(cleanText(input.fromText)),
    normalizeNewlines(cleanText(input.toText)),
    `version ${input.fromVersion}`,
    `version ${input.toVersion}`,
    { context: input.context ?? 3, timeout: input.timeoutMs ?? DEFAULT_TIMEOUT_MS },
  );
  if (patch === undefined) {
    throw new AppError('validation_failed', 'These versions are too different to compare line by line');
  }
  let additions = 0;
  let deletions = 0;
  for (const hunk of patch.hunks) {
    for (const line of hunk.lines) {
      if (line.startsWith('+')) additions++;
      else if (line.startsWith('-')) deletions++;
    }
  }
  return {
    diff: formatPatch(patch, FILE_HEADERS_ONLY),
    additions,
    deletions,
    hunks: patch.hunks.map(({ oldStart, oldLines, newStart, newLines }) => ({
      oldStart,
      oldLines,
      newStart,
      newLines,
    })),
    identical: patch.hunks.length === 0,
  };
}
