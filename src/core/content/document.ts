import type { Token, Tokens } from 'marked';
import { cleanText } from './cleanText.js';
import { decodeEntities, htmlToText } from './htmlText.js';
import { lexMarkdown } from './markdown.js';
import { safeImageUrl, safeLinkUrl } from './safeUrl.js';

/**
 * A small, format-neutral model of a markdown document, built from marked's tokens. The plain-text,
 * PDF and DOCX exporters render this model, so none of them parses markdown by itself. Raw HTML in
 * the source becomes its text content; links keep only http(s)/mailto targets; images become their
 * alt text plus URL (exports never fetch anything).
 */
export interface Run {
  text: string;
  bold?: boolean;
  italic?: boolean;
  strike?: boolean;
  code?: boolean;
  /** Safe absolute URL (http, https, mailto) when this run is part of a link. */
  href?: string;
  /** True for a hard line break; `text` is then "\n". */
  lineBreak?: boolean;
}

export interface ListItem {
  /** For GFM task list items: ticked or not. */
  checked?: boolean;
  blocks: Block[];
}

export type Block =
  | { type: 'heading'; level: 1 | 2 | 3 | 4 | 5 | 6; runs: Run[] }
  | { type: 'paragraph'; runs: Run[] }
  | { type: 'list'; ordered: boolean; start: number; items: ListItem[] }
  | { type: 'code'; text: string; lang?: string }
  | { type: 'quote'; blocks: Block[] }
  | { type: 'rule' }
  | { type: 'table'; header: Run[][]; rows: Run[][][] };

const SOFT_BREAK = /[ \t]*\n[ \t]*/g;

interface Style {
  bold?: boolean;
  italic?: boolean;
  strike?: boolean;
  href?: string;
}

function run(text: string, style: Style, extra: Partial<Run> = {}): Run {
  const r: Run = { text: cleanText(text) };
  if (style.bold) r.bold = true;
  if (style.italic) r.italic = true;
  if (style.strike) r.strike = true;
  if (style.href) r.href = style.href;
  return Object.assign(r, extra);
}

function inlineRuns(tokens: Token[] | undefined, style: Style = {}): Run[] {
  const out: Run[] = [];
  for (const token of tokens ?? []) {
    const t = token as Token;
    switch (t.type) {
      case 'text': {
        const tt = t as Tokens.Text;
        if (tt.tokens && tt.tokens.length > 0) out.push(...inlineRuns(tt.tokens, style));
        // A newline inside a paragraph is a soft break: it reads as a space, as in the HTML rendering.
        else out.push(run(decodeEntities(tt.text).replace(SOFT_BREAK, ' '), style));
        break;
      }
      case 'escape':
        out.push(run((t as Tokens.Escape).text, style));
        break;
      case 'strong':
        out.push(...inlineRuns((t as Tokens.Strong).tokens, { ...style, bold: true }));
        break;
      case 'em':
        out.push(...inlineRuns((t as Tokens.Em).tokens, { ...style, italic: true }));
        break;
      case 'del':
        out.push(...inlineRuns((t as Tokens.Del).tokens, { ...style, strike: true }));
        break;
      case 'codespan':
        out.push(run((t as Tokens.Codespan).text, style, { code: true }));
        break;
      case 'br':
        out.push(run('\n', style, { lineBreak: true }));
        break;
      case 'link': {
        const link = t as Tokens.Link;
        const href = safeLinkUrl(link.href);
        const inner = inlineRuns(link.tokens, { ...style, href });
        out.push(...inner);
        break;
      }
      case 'image': {
        const image = t as Tokens.Image;
        const src = safeImageUrl(image.href);
        const alt = decodeEntities(image.text).trim();
        const label = alt ? `[Image: ${alt}]` : '[Image]';
        out.push(run(src ? `${label} (${src})` : label, style));
        break;
      }
      case 'html': {
        const text = htmlToText((t as Tokens.Tag).text);
        if (text) out.push(run(text, style));
        break;
      }
      case 'checkbox':
        break;
      default: {
        const generic = t as Tokens.Generic;
        if (generic.tokens) out.push(...inlineRuns(generic.tokens, style));
        else if (typeof generic.text === 'string') out.push(run(decodeEntities(generic.text), style));
        break;
      }
    }
  }
  return mergeRuns(out);
}

function sameStyle(a: Run, b: Run): boolean {
  return (
    !a.lineBreak &&
    !b.lineBreak &&
    a.bold === b.bold &&
    a.italic === b.italic &&
    a.strike === b.strike &&
    a.code === b.code &&
    a.href === b.href
  );
}

function mergeRuns(runs: Run[]): Run[] {
  const merged: Run[] = [];
  for (const r of runs) {
    if (r.text === '') continue;
    const last = merged.at(-1);
    if (last && sameStyle(last, r)) last.text += r.text;
    else merged.push({ ...r });
  }
  return merged;
}

function headingLevel(depth: number): 1 | 2 | 3 | 4 | 5 | 6 {
  return Math.min(6, Math.max(1, Math.trunc(depth))) as 1 | 2 | 3 | 4 | 5 | 6;
}

function blocksFrom(tokens: Token[]): Block[] {
  const blocks: Block[] = [];
  for (const token of tokens) {
    const t = token as Token;
    switch (t.type) {
      case 'space':
      case 'def':
        break;
      case 'heading': {
        const h = t as Tokens.Heading;
        blocks.push({ type: 'heading', level: headingLevel(h.depth), runs: inlineRuns(h.tokens) });
        break;
      }
      case 'paragraph':
        pushParagraph(blocks, inlineRuns((t as Tokens.Paragraph).tokens));
        break;
      case 'text': {
        // Block-level text appears inside tight list items.
        const tt = t as Tokens.Text;
        pushParagraph(blocks, tt.tokens ? inlineRuns(tt.tokens) : [run(decodeEntities(tt.text), {})]);
        break;
      }
      case 'code': {
        const c = t as Tokens.Code;
        blocks.push({
          type: 'code',
          text: cleanText(c.text),
          ...(c.lang ? { lang: cleanText(c.lang) } : {}),
        });
        break;
      }
      case 'blockquote':
        blocks.push({ type: 'quote', blocks: blocksFrom((t as Tokens.Blockquote).tokens) });
        break;
      case 'hr':
        blocks.push({ type: 'rule' });
        break;
      case 'list': {
        const l = t as Tokens.List;
        blocks.push({
          type: 'list',
          ordered: l.ordered,
          start: typeof l.start === 'number' ? l.start : 1,
          items: l.items.map((item) => ({
            ...(item.task ? { checked: Boolean(item.checked) } : {}),
            blocks: blocksFrom(item.tokens),
          })),
        });
        break;
      }
      case 'table': {
        const tb = t as Tokens.Table;
        blocks.push({
          type: 'table',
          header: tb.header.map((cell) => inlineRuns(cell.tokens)),
          rows: tb.rows.map((row) => row.map((cell) => inlineRuns(cell.tokens))),
        });
        break;
      }
      case 'html': {
        const text = htmlToText((t as Tokens.HTML).text).trim();
        if (text) pushParagraph(blocks, [run(text, {})]);
        break;
      }
      default: {
        const generic = t as Tokens.Generic;
        if (generic.tokens) pushParagraph(blocks, inlineRuns(generic.tokens));
        else if (typeof generic.text === 'string') pushParagraph(blocks, [run(generic.text, {})]);
        break;
      }
    }
  }
  return blocks;
}

function pushParagraph(blocks: Block[], runs: Run[]): void {
  if (runs.some((r) => r.text.trim() !== '')) blocks.push({ type: 'paragraph', runs });
}

export function markdownToDocument(markdown: string): Block[] {
  return blocksFrom(lexMarkdown(markdown));
}

/** The text of some runs with all styling dropped. */
export function runsText(runs: Run[]): string {
  return runs.map((r) => r.text).join('');
}

function normalizeTitle(text: string): string {
  return text.replace(/\s+/g, ' ').trim().toLowerCase();
}

/**
 * True when the document already opens with a top-level heading that says the title, so an exporter
 * that prints the title should not print it twice.
 */
export function startsWithTitle(blocks: Block[], title: string): boolean {
  const first = blocks[0];
  return (
    first !== undefined &&
    first.type === 'heading' &&
    first.level === 1 &&
    normalizeTitle(runsText(first.runs)) === normalizeTitle(title)
  );
}

/**
 * The title as exporters print it, and the document's blocks without a first heading that only
 * repeats that title (so it is not printed twice).
 */
export function titledDocument(title: string, markdown: string): { title: string; blocks: Block[] } {
  const shown = displayTitle(title);
  const blocks = markdownToDocument(markdown);
  return { title: shown, blocks: startsWithTitle(blocks, shown) ? blocks.slice(1) : blocks };
}

/** True when the document opens with a top-level heading: its own title, whatever the stored title says. */
export function startsWithHeading1(blocks: Block[]): boolean {
  const first = blocks[0];
  return first !== undefined && first.type === 'heading' && first.level === 1;
}

/** A title reduced to one line of printable text. */
export function displayTitle(title: string, fallback = 'Untitled'): string {
  const line = cleanText(title).replace(/\s+/g, ' ').trim();
  return line === '' ? fallback : line;
}
