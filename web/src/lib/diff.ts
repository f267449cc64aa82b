/**
 * Diff lines for display. The diff endpoint (GET /api/content/:id/diff?from&to) is not specified in
 * API.md, so `normalizeDiff` accepts the shapes a server built on jsdiff would plausibly send: a
 * unified diff string (bare or as `{diff|patch|unified}`), jsdiff `structuredPatch` hunks, jsdiff
 * `diffLines` change objects, or `{lines: [{type, text}]}`. `computeDiff` is the client-side
 * fallback when the endpoint answers something else.
 */
import { structuredPatch } from 'diff';

export type DiffLineKind = 'add' | 'del' | 'context' | 'hunk';

export interface DiffLine {
  kind: DiffLineKind;
  text: string;
  /** Line number in the "from" version (del and context lines). */
  oldNo?: number;
  /** Line number in the "to" version (add and context lines). */
  newNo?: number;
}

const HUNK = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(.*)$/;

/** Parse unified diff text. File headers (`Index:`, `===`, `---`, `+++`) are dropped. */
export function parseUnifiedDiff(text: string): DiffLine[] {
  const out: DiffLine[] = [];
  const rows = text.replace(/\r\n/g, '\n').split('\n');
  if (rows.length > 0 && rows[rows.length - 1] === '') rows.pop();
  let oldNo = 0;
  let newNo = 0;
  let oldLeft = 0;
  let newLeft = 0;
  for (const row of rows) {
    const inHunk = oldLeft > 0 || newLeft > 0;
    const hunk = HUNK.exec(row);
    if (hunk && !inHunk) {
      oldNo = Number(hunk[1]);
      newNo = Number(hunk[3]);
      oldLeft = hunk[2] === undefined ? 1 : Number(hunk[2]);
      newLeft = hunk[4] === undefined ? 1 : Number(hunk[4]);
      out.push({ kind: 'hunk', text: row });
      continue;
    }
    if (!inHunk) continue; // headers and anything between hunks
    if (row.startsWith('\\')) continue; // "\ No newline at end of file"
    const mark = row[0];
    const body = row.slice(1);
    if (mark === '+') {
      out.push({ kind: 'add', text: body, newNo: newNo++ });
      newLeft--;
    } else if (mark === '-') {
      out.push({ kind: 'del', text: body, oldNo: oldNo++ });
      oldLeft--;
    } else {
      // ' ' context, or an empty row where an editor stripped the leading space
      out.push({ kind: 'context', text: mark === ' ' ? body : row, oldNo: oldNo++, newNo: newNo++ });
      oldLeft--;
      newLeft--;
    }
  }
  return out;
}

interface Hunk {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  lines: string[];
}

function isHunk(v: unknown): v is Hunk {
  const h = v as Hunk;
  return typeof h === 'object' && h !== null && typeof h.oldStart === 'number' && Array.isArray(h.lines);
}

function fromHunks(hunks: Hunk[]): DiffLine[] {
  const text = hunks
    .map((h) => [`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`, ...h.lines].join('\n'))
    .join('\n');
  return parseUnifiedDiff(text);
}

interface Change {
  value: string;
  added?: boolean;
  removed?: boolean;
}

function isChange(v: unknown): v is Change {
  return typeof v === 'object' && v !== null && typeof (v as Change).value === 'string';
}

function splitLines(value: string): string[] {
  const lines = value.replace(/\r\n/g, '\n').split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function fromChanges(changes: Change[]): DiffLine[] {
  const out: DiffLine[] = [];
  let oldNo = 1;
  let newNo = 1;
  for (const c of changes) {
    for (const text of splitLines(c.value)) {
      if (c.added) out.push({ kind: 'add', text, newNo: newNo++ });
      else if (c.removed) out.push({ kind: 'del', text, oldNo: oldNo++ });
      else out.push({ kind: 'context', text, oldNo: oldNo++, newNo: newNo++ });
    }
  }
  return out;
}

const ADD_WORDS = new Set(['add', 'added', 'insert', 'inserted', '+']);
const DEL_WORDS = new Set(['del', 'delete', 'deleted', 'remove', 'removed', '-']);

function fromLineObjects(lines: unknown[]): DiffLine[] | null {
  if (lines.every((l) => typeof l === 'string')) {
    const strings = lines as string[];
    return strings.some((l) => l.startsWith('@@'))
      ? parseUnifiedDiff(strings.join('\n'))
      : fromChanges(strings.map((l) => ({ value: l.slice(1), added: l[0] === '+', removed: l[0] === '-' })));
  }
  const out: DiffLine[] = [];
  for (const raw of lines) {
    if (typeof raw !== 'object' || raw === null) return null;
    const l = raw as Record<string, unknown>;
    const type = String(l.type ?? l.kind ?? l.op ?? l.operation ?? 'context').toLowerCase();
    const textValue = l.text ?? l.value ?? l.content ?? l.line ?? '';
    const text = typeof textValue === 'string' ? textValue : String(textValue);
    const oldNo =
      typeof l.oldNo === 'number' ? l.oldNo : typeof l.oldLine === 'number' ? l.oldLine : undefined;
    const newNo =
      typeof l.newNo === 'number' ? l.newNo : typeof l.newLine === 'number' ? l.newLine : undefined;
    if (type === 'hunk') out.push({ kind: 'hunk', text });
    else if (ADD_WORDS.has(type)) out.push({ kind: 'add', text, newNo });
    else if (DEL_WORDS.has(type)) out.push({ kind: 'del', text, oldNo });
    else out.push({ kind: 'context', text, oldNo, newNo });
  }
  return out;
}

/** Turn whatever the diff endpoint returned into display lines; null when the shape is unknown. */
export function normalizeDiff(body: unknown): DiffLine[] | null {
  if (typeof body === 'string') return parseUnifiedDiff(body);
  if (Array.isArray(body)) {
    if (body.every(isHunk)) return fromHunks(body);
    if (body.every(isChange)) return fromChanges(body);
    return fromLineObjects(body);
  }
  if (typeof body !== 'object' || body === null) return null;
  const b = body as Record<string, unknown>;
  for (const key of ['diff', 'patch', 'unified', 'unifiedDiff']) {
    const v = b[key];
    if (typeof v === 'string') return parseUnifiedDiff(v);
    if (v && typeof v === 'object') {
      const inner = normalizeDiff(v);
      if (inner) return inner;
    }
  }
  if (Array.isArray(b.hunks) && b.hunks.every(isHunk)) return fromHunks(b.hunks);
  if (Array.isArray(b.changes) && b.changes.every(isChange)) return fromChanges(b.changes);
  if (Array.isArray(b.lines)) return fromLineObjects(b.lines);
  return null;
}

/** Client-side diff of two bodies (fallback, and for comparing without a round trip). */
export function computeDiff(oldText: string, newText: string, context = 3): DiffLine[] {
  const patch = structuredPatch('from', 'to', oldText, newText, undefined, undefined, { context });
  return fromHunks(patch.hunks);
}

export function diffSummary(lines: DiffLine[]): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const l of lines) {
    if (l.kind === 'add') added++;
    else if (l.kind === 'del') removed++;
  }
  return { added, removed };
}
