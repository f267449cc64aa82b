import PDFDocument from 'pdfkit';
import { type Block, type Run, titledDocument } from '../content/document.js';
import type { Exporter, ExportOptions, PdfFonts } from './types.js';

/**
 * PDF via pdfkit from the document model: title, headings, paragraphs with bold/italic/code/links,
 * lists, quotes, code blocks, tables, rules, and page numbers. Nothing is fetched (images print as
 * their alt text and URL).
 */
interface FontSet {
  regular: string;
  bold: string;
  italic: string;
  boldItalic: string;
  mono: string;
  /** False for the built-in fonts, which only encode Windows-1252. */
  unicode: boolean;
}

const BUILT_IN: FontSet = {
  regular: 'Helvetica',
  bold: 'Helvetica-Bold',
  italic: 'Helvetica-Oblique',
  boldItalic: 'Helvetica-BoldOblique',
  mono: 'Courier',
  unicode: false,
};

const COLORS = { text: '#1f2328', muted: '#59636e', link: '#0969da', rule: '#d1d9e0', codeBg: '#f3f4f6' };
const BODY_SIZE = 11;
const HEADING_SIZES = { 1: 18, 2: 15, 3: 13, 4: 12, 5: 11, 6: 11 } as const;

// Characters the built-in fonts can print: Windows-1252 (Latin-1 plus these).
const CP1252_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');
const FALLBACKS: Record<string, string> = {
  '☑': '[x]',
  '☐': '[ ]',
  '✓': 'v',
  '→': '->',
  '←': '<-',
  '≤': '<=',
  '≥': '>=',
  '≠': '!=',
};

function toCp1252(text: string): string {
  let out = '';
  for (const ch of text.normalize('NFKC')) {
    const code = ch.codePointAt(0)!;
    if (
      ch === '\n' ||
      (code >= 0x20 && code <= 0x7e) ||
      (code >= 0xa0 && code <= 0xff) ||
      CP1252_EXTRA.has(ch)
    ) {
      out += ch;
    } else if (ch === '\t') {
      out += '    ';
    } else {
      out += FALLBACKS[ch] ?? '?';
    }
  }
  return out;
}

class PdfWriter {
  private readonly left: number;
  private readonly width: number;

  constructor(
    private readonly doc: PDFKit.PDFDocument,
    private readonly fonts: FontSet,
  ) {
    this.left = doc.page.margins.left;
    this.width = doc.page.width - doc.page.margins.left - doc.page.margins.right;
  }

  private enc(text: string): string {
    return this.fonts.unicode ? text.replace(/\t/g, '    ') : toCp1252(text);
  }

  private fontFor(run: Pick<Run, 'bold' | 'italic' | 'code'>): string {
    if (run.code) return this.fonts.mono;
    if (run.bold && run.italic) return this.fonts.boldItalic;
    if (run.bold) return this.fonts.bold;
    if (run.italic) return this.fonts.italic;
    return this.fonts.regular;
  }

  title(title: string, metaLine: string): void {
    const { doc } = this;
    doc.font(this.fonts.bold).fontSize(22).fillColor(COLORS.text);
    doc.text(this.enc(title), this.left, doc.y, { width: this.width });
    doc.moveDown(0.2);
    doc.font(this.fonts.regular).fontSize(9).fillColor(COLORS.muted);
    doc.text(this.enc(metaLine), this.left, doc.y, { width: this.width });
    doc.moveDown(0.5);
    this.rule(0);
    doc.moveDown(0.6);
  }

  /** One paragraph of styled runs starting at the given indent. */
  private runs(
    runs: Run[],
    indent: number,
    size: number,
    base: Partial<Run> = {},
    color = COLORS.text,
  ): void {
    const { doc } = this;
    const pieces = runs.filter((r) => r.text !== '');
    if (pieces.length === 0) return;
    const x = this.left + indent;
    const width = this.width - indent;
    pieces.forEach((r, i) => {
      const styled = { ...r, bold: r.bold || base.bold, italic: r.italic || base.italic };
      doc
        .font(this.fontFor(styled))
        .fontSize(r.code ? size - 1 : size)
        .fillColor(r.href ? COLORS.link : color);
      const options: PDFKit.Mixins.TextOptions = {
        continued: i < pieces.length - 1,
        link: r.href ?? null,
        underline: Boolean(r.href),
        strike: Boolean(r.strike),
        lineGap: 2,
      };
      if (i === 0) doc.text(this.enc(r.text), x, doc.y, { ...options, width });
      else doc.text(this.enc(r.text), options);
    });
    doc.x = this.left;
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
    const body = this.enc(text.replace(/\n$/, ''));
    doc.font(this.fonts.mono).fontSize(9.5);
    const height = doc.heightOfString(body, { width: width - 2 * pad, lineGap: 1 });
    const bottom = doc.page.height - doc.page.margins.bottom;
    // Shade the block when it fits on this page; a block that breaks across pages is printed plain.
    if (doc.y + height + 2 * pad <= bottom) {
      doc.rect(x, doc.y, width, height + 2 * pad).fill(COLORS.codeBg);
    }
    doc.fillColor(COLORS.text).text(body, x + pad, doc.y + pad, { width: width - 2 * pad, lineGap: 1 });
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
    doc.font(this.fonts.regular).fontSize(BODY_SIZE);
    const last = block.start + block.items.length - 1;
    const markerWidth = block.ordered ? doc.widthOfString(`${last}.`) + 8 : 14;
    block.items.forEach((item, i) => {
      if (i > 0) doc.moveDown(0.15);
      const box = item.checked === undefined ? '' : item.checked ? '[x] ' : '[ ] ';
      const marker = block.ordered ? `${block.start + i}.` : '•';
      const y = doc.y;
      doc
        .font(this.fonts.regular)
        .fontSize(BODY_SIZE)
        .fillColor(color)
        .text(this.enc(marker), this.left + indent, y, { width: markerWidth, lineBreak: false });
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
    const cellText = (cell: Run[]) => this.enc(cell.map((r) => r.text).join(''));
    const header = block.header.map((cell) => ({
      text: cellText(cell),
      font: { src: this.fonts.bold, size: BODY_SIZE - 1 },
      type: 'TH' as const,
    }));
    const rows = block.rows.map((row) =>
      row.map((cell) => ({ text: cellText(cell), font: { src: this.fonts.regular, size: BODY_SIZE - 1 } })),
    );
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
        .font(this.fonts.regular)
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

function fontSet(doc: PDFKit.PDFDocument, fonts: PdfFonts | undefined): FontSet {
  if (!fonts) return BUILT_IN;
  doc.registerFont('sy-regular', fonts.regular);
  doc.registerFont('sy-bold', fonts.bold ?? fonts.regular);
  doc.registerFont('sy-italic', fonts.italic ?? fonts.regular);
  doc.registerFont('sy-bold-italic', fonts.boldItalic ?? fonts.bold ?? fonts.regular);
  doc.registerFont('sy-mono', fonts.mono ?? fonts.regular);
  return {
    regular: 'sy-regular',
    bold: 'sy-bold',
    italic: 'sy-italic',
    boldItalic: 'sy-bold-italic',
    mono: 'sy-mono',
    unicode: true,
  };
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

  const writer = new PdfWriter(doc, fontSet(doc, options.pdfFonts));
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
