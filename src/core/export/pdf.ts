import type { Bidi } from 'bidi-js';
import * as bidiJs from 'bidi-js';
import PDFDocument from 'pdfkit';
import { type Block, type Run, titledDocument } from '../content/document.js';
import { type Family, FontBook, RTL_CHAR, type Style } from './pdfFonts.js';
import type { Exporter, ExportOptions } from './types.js';

/**
 * PDF via pdfkit from the document model: title, headings, paragraphs with bold/italic/code/links,
 * lists, quotes, code blocks, tables, rules, and page numbers. Nothing is fetched (images print as
 * their alt text and URL).
 *
 * Unicode: text prints with Noto fonts shipped in npm packages (see pdfFonts.ts), picked per run of
 * text by script: Latin, Cyrillic and Greek, CJK, Arabic and Hebrew all print as themselves. A
 * paragraph with right-to-left or CJK text is broken into lines here and each line is reordered
 * with the Unicode Bidirectional Algorithm (bidi-js): the paragraph's direction comes from its
 * first strong character (like dir="auto"), right-to-left paragraphs are right-aligned, and
 * fontkit shapes each right-to-left run (Arabic joining forms) and lays it out right to left.
 * Not handled: bidi inside table cells (a cell prints with one font, picked by its script), CJK
 * line-breaking rules beyond "a line may break between two ideographs", vertical text, and
 * scripts other than the ones above (Korean Hangul, Thai, Devanagari... print as "?" when no
 * shipped font has them).
 */
// bidi-js is CommonJS (module.exports = factory); its types call that export `default`.
const bidi = (bidiJs.default as unknown as () => Bidi)();

const COLORS = { text: '#1f2328', muted: '#59636e', link: '#0969da', rule: '#d1d9e0', codeBg: '#f3f4f6' };
const BODY_SIZE = 11;
const HEADING_SIZES = { 1: 18, 2: 15, 3: 13, 4: 12, 5: 11, 6: 11 } as const;
/** Noto Sans's ascender, in em: where the baseline sits below the top of a line. */
const ASCENT = 1.069;

/** A stretch of text printed with one font, size and colour. */
interface Piece {
  text: string;
  font: string;
  family: Family | 'mono';
  size: number;
  color: string;
  href?: string;
  strike?: boolean;
}

/** One printed line: a range of the paragraph's text. */
interface Line {
  start: number;
  end: number;
}

const CJK_TOKEN =
  /[\u1100-\u11ff\u2e80-\u33ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]|[\ud840-\ud8bf][\udc00-\udfff]/;

function styleOf(bold: boolean | undefined, italic: boolean | undefined): Style {
  if (bold && italic) return 'boldItalic';
  if (bold) return 'bold';
  if (italic) return 'italic';
  return 'regular';
}

class PdfWriter {
  private readonly left: number;
  private readonly width: number;

  constructor(
    private readonly doc: PDFKit.PDFDocument,
    private readonly fonts: FontBook,
  ) {
    this.left = doc.page.margins.left;
    this.width = doc.page.width - doc.page.margins.left - doc.page.margins.right;
  }

  title(title: string, metaLine: string): void {
    const { doc } = this;
    this.runs([{ text: title }], 0, 22, { bold: true }, COLORS.text, 0);
    doc.moveDown(0.2);
    this.runs([{ text: metaLine }], 0, 9, {}, COLORS.muted, 0);
    doc.moveDown(0.5);
    this.rule(0);
    doc.moveDown(0.6);
  }

  /** Styled runs split by font. */
  private pieces(runs: Run[], size: number, base: Partial<Run>, color: string): Piece[] {
    const out: Piece[] = [];
    for (const r of runs) {
      if (r.text === '') continue;
      const style = styleOf(r.bold || base.bold, r.italic || base.italic);
      for (const seg of this.fonts.segments(r.text, style, Boolean(r.code))) {
        out.push({
          text: seg.text,
          font: seg.font,
          family: seg.family,
          size: r.code ? size - 1 : size,
          color: r.href ? COLORS.link : color,
          href: r.href,
          strike: r.strike,
        });
      }
    }
    return out;
  }

  /** One paragraph of styled runs starting at the given indent. */
  private runs(
    runs: Run[],
    indent: number,
    size: number,
    base: Partial<Run> = {},
    color = COLORS.text,
    lineGap = 2,
  ): void {
    const { doc } = this;
    const pieces = this.pieces(runs, size, base, color);
    if (pieces.length === 0) return;
    const x = this.left + indent;
    const width = this.width - indent;
    const text = pieces.map((p) => p.text).join('');
    if (RTL_CHAR.test(text) || pieces.some((p) => p.family === 'cjk')) {
      // Lines broken and reordered here: pdfkit has no bidi, and its line breaking would
      // print a mixed-script line with each font's own baseline.
      const lines = this.breakLines(pieces, width, false);
      this.drawLines(pieces, lines, x, width, lineGap);
      doc.x = this.left;
      return;
    }
    pieces.forEach((p, i) => {
      doc.font(p.font).fontSize(p.size).fillColor(p.color);
      const options: PDFKit.Mixins.TextOptions = {
        continued: i < pieces.length - 1,
        link: p.href ?? null,
        underline: Boolean(p.href),
        strike: Boolean(p.strike),
        lineGap,
      };
      if (i === 0) doc.text(p.text, x, doc.y, { ...options, width });
      else doc.text(p.text, options);
    });
    doc.x = this.left;
  }

  private measure(p: Piece, text: string): number {
    return this.doc.font(p.font).fontSize(p.size).widthOfString(text, { features: [] });
  }

  /**
   * Greedy line breaking: a line may break at a space, at a newline (always), and before or after
   * an ideograph. Leading spaces of a wrapped line are dropped; those after a newline are kept
   * when keepIndent (code).
   */
  private breakLines(pieces: Piece[], width: number, keepIndent: boolean): Line[] {
    interface Group {
      start: number;
      end: number;
      width: number;
      kind: 'word' | 'space' | 'newline';
    }
    const groups: Group[] = [];
    let offset = 0;
    let prevCjk = false;
    for (const p of pieces) {
      for (const m of p.text.matchAll(/\n|[^\S\n]+|[^\s]/gu)) {
        const t = m[0];
        const start = offset + m.index;
        const end = start + t.length;
        const kind = t === '\n' ? 'newline' : /\s/.test(t) ? 'space' : 'word';
        const cjk = kind === 'word' && CJK_TOKEN.test(t);
        const w = kind === 'newline' ? 0 : this.measure(p, t);
        const last = groups[groups.length - 1];
        if (kind === 'word' && last?.kind === 'word' && !cjk && !prevCjk) {
          last.end = end;
          last.width += w;
        } else if (kind === 'space' && last?.kind === 'space') {
          last.end = end;
          last.width += w;
        } else {
          groups.push({ start, end, width: w, kind });
        }
        prevCjk = cjk;
      }
      offset += p.text.length;
    }

    const lines: Line[] = [];
    let line: Line | null = null;
    let lineWidth = 0;
    let pending = 0;
    let afterNewline = true;
    for (const g of groups) {
      if (g.kind === 'newline') {
        lines.push(line ?? { start: g.start, end: g.start });
        line = null;
        lineWidth = 0;
        pending = 0;
        afterNewline = true;
        continue;
      }
      if (g.kind === 'space') {
        if (line) pending += g.width;
        else if (keepIndent && afterNewline) {
          line = { start: g.start, end: g.end };
          lineWidth = g.width;
        }
        continue;
      }
      if (line && lineWidth + pending + g.width > width) {
        lines.push(line);
        line = null;
        afterNewline = false;
      }
      if (!line) {
        line = { start: g.start, end: g.end };
        lineWidth = g.width;
      } else {
        line.end = g.end;
        lineWidth += pending + g.width;
      }
      pending = 0;
    }
    if (line) lines.push(line);
    return lines;
  }

  private lineHeight(size: number, lineGap: number): number {
    return this.doc.fontSize(size).currentLineHeight(true) + lineGap;
  }

  private linesHeight(pieces: Piece[], lines: Line[], lineGap: number): number {
    const size = largestSize(pieces);
    return lines.length * this.lineHeight(size, lineGap);
  }

  /** Prints broken lines, each reordered for display by the Unicode Bidirectional Algorithm. */
  private drawLines(pieces: Piece[], lines: Line[], x: number, width: number, lineGap: number): void {
    const { doc } = this;
    const text = pieces.map((p) => p.text).join('');
    const owner: number[] = [];
    pieces.forEach((p, i) => {
      for (let k = 0; k < p.text.length; k++) owner.push(i);
    });
    const levels = bidi.getEmbeddingLevels(text, 'auto');
    const size = largestSize(pieces);
    const height = this.lineHeight(size, lineGap);
    let y = doc.y;
    for (const line of lines) {
      if (y + height > doc.page.height - doc.page.margins.bottom) {
        doc.addPage();
        y = doc.page.margins.top;
      }
      // Runs of one level and one piece, in logical order, then reordered (rule L2).
      const runs: { start: number; end: number; level: number; piece: number }[] = [];
      for (let i = line.start; i < line.end; i++) {
        const level = levels.levels[i] ?? 0;
        const last = runs[runs.length - 1];
        if (last && last.level === level && last.piece === owner[i]) last.end = i + 1;
        else runs.push({ start: i, end: i + 1, level, piece: owner[i]! });
      }
      const maxLevel = runs.reduce((m, r) => Math.max(m, r.level), 0);
      const minOdd = runs.reduce((m, r) => Math.min(m, r.level % 2 === 1 ? r.level : r.level + 1), Infinity);
      for (let k = maxLevel; k >= minOdd && k > 0; k--) {
        let i = 0;
        while (i < runs.length) {
          if (runs[i]!.level < k) {
            i++;
            continue;
          }
          let j = i;
          while (j < runs.length && runs[j]!.level >= k) j++;
          runs.splice(i, j - i, ...runs.slice(i, j).reverse());
          i = j;
        }
      }
      const printed = runs.map((r) => {
        const p = pieces[r.piece]!;
        let str = text.slice(r.start, r.end);
        // fontkit lays a run with right-to-left letters out right to left itself; a right-to-left
        // run of neutrals alone (spaces, punctuation) is reversed here, brackets mirrored.
        if (r.level % 2 === 1 && !RTL_CHAR.test(str)) {
          str = [...str]
            .reverse()
            .map((c) => bidi.getMirroredCharacter(c) ?? c)
            .join('');
        }
        return { p, str, width: this.measure(p, str) };
      });
      const total = printed.reduce((sum, r) => sum + r.width, 0);
      const paragraph = levels.paragraphs.find(
        (para: { start: number; end: number; level: number }) =>
          line.start >= para.start && line.start <= para.end,
      );
      const rtl = (paragraph?.level ?? 0) % 2 === 1;
      let cx = rtl ? x + width - total : x;
      const baseline = y + size * ASCENT;
      for (const r of printed) {
        doc
          .font(r.p.font)
          .fontSize(r.p.size)
          .fillColor(r.p.color)
          .text(r.str, cx, baseline, {
            lineBreak: false,
            baseline: 'alphabetic',
            features: [],
            link: r.p.href ?? null,
            underline: Boolean(r.p.href),
            strike: Boolean(r.p.strike),
          });
        cx += r.width;
      }
      y += height;
    }
    doc.y = y;
  }

  private rule(indent: number): void {
    const { doc } = this;
    const y = doc.y;
    doc
      .moveTo(this.left + indent, y)
      .lineTo(this.left + this.width, y)
      .lineWidth(0.75)
      .strokeColor(COLORS.rule)
      .stroke();
  }

  blocks(blocks: Block[], indent = 0, color = COLORS.text, italic = false): void {
    blocks.forEach((block, i) => {
      if (i > 0) this.doc.moveDown(0.45);
      this.block(block, indent, color, italic);
    });
  }

  private block(block: Block, indent: number, color: string, italic: boolean): void {
    const { doc } = this;
    switch (block.type) {
      case 'heading':
        doc.moveDown(0.4);
        this.runs(block.runs, indent, HEADING_SIZES[block.level], { bold: true, italic }, color);
        return;
      case 'paragraph':
        this.runs(block.runs, indent, BODY_SIZE, { italic }, color);
        return;
      case 'code':
        this.code(block.text, indent);
        return;
      case 'quote':
        this.quote(block.blocks, indent);
        return;
      case 'rule':
        doc.moveDown(0.3);
        this.rule(indent);
        doc.moveDown(0.3);
        return;
      case 'list':
        this.list(block, indent, color, italic);
        return;
      case 'table':
        this.table(block, indent);
        return;
    }
  }

  private code(text: string, indent: number): void {
    const { doc } = this;
    const pad = 6;
    const x = this.left + indent;
    const width = this.width - indent;
    const body = text.replace(/\n$/, '');
    const pieces = this.fonts
      .segments(body, 'regular', true)
      .map((seg): Piece => ({ ...seg, size: 9.5, color: COLORS.text }));
    const plain = pieces.every((p) => p.family === 'mono');
    let height: number;
    let lines: Line[] = [];
    if (plain) {
      doc.font(this.fonts.monoName).fontSize(9.5);
      height = doc.heightOfString(body, { width: width - 2 * pad, lineGap: 1 });
    } else {
      lines = this.breakLines(pieces, width - 2 * pad, true);
      height = this.linesHeight(pieces, lines, 1);
    }
    const bottom = doc.page.height - doc.page.margins.bottom;
    // Shade the block when it fits on this page; a block that breaks across pages is printed plain.
    if (doc.y + height + 2 * pad <= bottom) {
      doc.rect(x, doc.y, width, height + 2 * pad).fill(COLORS.codeBg);
    }
    if (plain) {
      doc.fillColor(COLORS.text).text(body, x + pad, doc.y + pad, { width: width - 2 * pad, lineGap: 1 });
    } else {
      doc.y += pad;
      this.drawLines(pieces, lines, x + pad, width - 2 * pad, 1);
    }
    doc.y += pad;
    doc.x = this.left;
  }

  private quote(blocks: Block[], indent: number): void {
    const { doc } = this;
    const startY = doc.y;
    const startPage = doc.bufferedPageRange().count;
    this.blocks(blocks, indent + 14, COLORS.muted, true);
    if (doc.bufferedPageRange().count === startPage) {
      const x = this.left + indent + 4;
      doc.moveTo(x, startY).lineTo(x, doc.y).lineWidth(2).strokeColor(COLORS.rule).stroke();
    }
  }

  private list(
    block: Extract<Block, { type: 'list' }>,
    indent: number,
    color: string,
    italic: boolean,
  ): void {
    const { doc } = this;
    const regular = this.fonts.defaultFont('regular');
    doc.font(regular).fontSize(BODY_SIZE);
    const last = block.start + block.items.length - 1;
    const markerWidth = block.ordered ? doc.widthOfString(`${last}.`) + 8 : 14;
    block.items.forEach((item, i) => {
      if (i > 0) doc.moveDown(0.15);
      const box = item.checked === undefined ? '' : item.checked ? '[x] ' : '[ ] ';
      const marker = block.ordered ? `${block.start + i}.` : '•';
      const y = doc.y;
      doc
        .font(regular)
        .fontSize(BODY_SIZE)
        .fillColor(color)
        .text(marker, this.left + indent, y, { width: markerWidth, lineBreak: false });
      doc.y = y;
      const [first, ...rest] = item.blocks;
      let blocks = item.blocks;
      if (box) {
        blocks =
          first?.type === 'paragraph'
            ? [{ type: 'paragraph', runs: [{ text: box }, ...first.runs] }, ...rest]
            : [{ type: 'paragraph', runs: [{ text: box }] }, ...item.blocks];
      }
      if (blocks.length > 0) this.blocks(blocks, indent + markerWidth, color, italic);
      else doc.moveDown(1);
    });
    doc.x = this.left;
  }

  private table(block: Extract<Block, { type: 'table' }>, indent: number): void {
    const { doc } = this;
    // A cell prints with one font: the one of the first run in it that is not Latin, if any.
    const cellFont = (cell: Run[], style: Style) => {
      const text = cell.map((r) => r.text).join('');
      const segs = this.fonts.segments(text, style);
      const font = (segs.find((seg) => seg.family !== 'latin') ?? segs[0])?.font;
      return {
        text: segs.map((seg) => seg.text).join(''),
        font: { src: font ?? this.fonts.defaultFont(style), size: BODY_SIZE - 1 },
      };
    };
    const header = block.header.map((cell) => ({ ...cellFont(cell, 'bold'), type: 'TH' as const }));
    const rows = block.rows.map((row) => row.map((cell) => cellFont(cell, 'regular')));
    doc.fillColor(COLORS.text);
    doc.table({
      position: { x: this.left + indent, y: doc.y },
      maxWidth: this.width - indent,
      data: [header, ...rows],
    });
    doc.x = this.left;
  }

  pageNumbers(): void {
    const { doc } = this;
    const range = doc.bufferedPageRange();
    for (let i = range.start; i < range.start + range.count; i++) {
      doc.switchToPage(i);
      const bottom = doc.page.margins.bottom;
      // Writing inside the bottom margin would otherwise start a new page.
      doc.page.margins.bottom = 0;
      doc
        .font(this.fonts.defaultFont('regular'))
        .fontSize(8)
        .fillColor(COLORS.muted)
        .text(`${i + 1} / ${range.count}`, this.left, doc.page.height - bottom / 2 - 4, {
          width: this.width,
          align: 'center',
          lineBreak: false,
        });
      doc.page.margins.bottom = bottom;
    }
  }
}

export async function renderPdf(
  input: { title: string; contentData: string; version: number },
  options: ExportOptions = {},
): Promise<Buffer> {
  const { title, blocks } = titledDocument(input.title, input.contentData);
  const exportedAt = options.exportedAt ?? new Date();

  const doc = new PDFDocument({
    size: 'A4',
    margins: { top: 64, bottom: 64, left: 64, right: 64 },
    bufferPages: true,
    displayTitle: true,
    info: { Title: title, Creator: 'Switchyard', CreationDate: exportedAt, ModDate: exportedAt },
  });
  const chunks: Buffer[] = [];
  const finished = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const writer = new PdfWriter(doc, new FontBook(doc, options.pdfFonts));
  writer.title(title, `Version ${input.version}`);
  writer.blocks(blocks);
  writer.pageNumbers();
  doc.end();
  return finished;
}

export const pdfExporter: Exporter = {
  format: 'pdf',
  mimeType: 'application/pdf',
  extension: 'pdf',
  render(source, options) {
    return renderPdf(source, options);
  },
};

/** The largest font size among a paragraph's pieces (a loop: a hostile paragraph can hold 10⁵ pieces). */
function largestSize(pieces: Piece[]): number {
  let size = 0;
  for (const p of pieces) if (p.size > size) size = p.size;
  return size;
}
