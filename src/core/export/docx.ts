import {
  AlignmentType,
  BorderStyle,
  Document,
  ExternalHyperlink,
  HeadingLevel,
  type ILevelsOptions,
  LevelFormat,
  type NumberingDefinition,
  Packer,
  Paragraph,
  type ParagraphChild,
  ShadingType,
  Table,
  TableCell,
  TableRow,
  TextRun,
  WidthType,
} from 'docx';
import { type Block, type Run, titledDocument } from '../content/document.js';
import type { Exporter, ExportOptions } from './types.js';

/**
 * DOCX via the `docx` package from the document model: Title style for the title, Heading 1–6,
 * paragraphs with bold/italic/strike/code/links, bullet and numbered lists (nested, with their
 * start number), quotes, code blocks, tables and rules. Links keep only http(s)/mailto targets.
 */
const MONO = 'Courier New';
const MUTED = '59636E';
const CODE_FILL = 'F3F4F6';
const INDENT = 360; // twips, a quarter inch
const HEADINGS = {
  1: HeadingLevel.HEADING_1,
  2: HeadingLevel.HEADING_2,
  3: HeadingLevel.HEADING_3,
  4: HeadingLevel.HEADING_4,
  5: HeadingLevel.HEADING_5,
  6: HeadingLevel.HEADING_6,
} as const;

interface Context {
  /** Left indent in twips for paragraphs that are not list items themselves. */
  indent: number;
  /** Nesting level of the list we are inside, -1 outside lists. */
  listLevel: number;
  quote: boolean;
}

interface ListMarker {
  bullet?: { level: number };
  numbering?: { reference: string; level: number };
}

class DocxBuilder {
  readonly numbering: NumberingDefinition[] = [];
  private ordered = 0;

  private textRuns(run: Run, base: { bold?: boolean; italics?: boolean; color?: string }): TextRun[] {
    return run.text.split('\n').map(
      (text, i) =>
        new TextRun({
          text,
          ...(i > 0 ? { break: 1 } : {}),
          bold: Boolean(run.bold || base.bold),
          italics: Boolean(run.italic || base.italics),
          strike: Boolean(run.strike),
          ...(run.code
            ? { font: MONO, shading: { type: ShadingType.CLEAR, fill: CODE_FILL, color: 'auto' } }
            : {}),
          ...(run.href ? { style: 'Hyperlink' } : base.color ? { color: base.color } : {}),
        }),
    );
  }

  runs(runs: Run[], base: { bold?: boolean; italics?: boolean; color?: string } = {}): ParagraphChild[] {
    const children: ParagraphChild[] = [];
    let i = 0;
    while (i < runs.length) {
      const href = runs[i]!.href;
      if (!href) {
        children.push(...this.textRuns(runs[i]!, base));
        i++;
        continue;
      }
      const linked: TextRun[] = [];
      while (i < runs.length && runs[i]!.href === href) linked.push(...this.textRuns(runs[i++]!, base));
      children.push(new ExternalHyperlink({ link: href, children: linked }));
    }
    return children;
  }

  private paragraphProps(ctx: Context, marker?: ListMarker) {
    if (marker) return marker;
    return {
      ...(ctx.indent > 0 ? { indent: { left: ctx.indent } } : {}),
      ...(ctx.quote
        ? { border: { left: { style: BorderStyle.SINGLE, size: 12, color: 'D1D9E0', space: 8 } } }
        : {}),
    };
  }

  blocks(blocks: Block[], ctx: Context, firstMarker?: ListMarker): (Paragraph | Table)[] {
    return blocks.flatMap((block, i) => this.block(block, ctx, i === 0 ? firstMarker : undefined));
  }

  private block(block: Block, ctx: Context, marker?: ListMarker): (Paragraph | Table)[] {
    const base = ctx.quote ? { italics: true, color: MUTED } : {};
    switch (block.type) {
      case 'heading':
        return [new Paragraph({ heading: HEADINGS[block.level], children: this.runs(block.runs, base) })];
      case 'paragraph':
        return [
          new Paragraph({ ...this.paragraphProps(ctx, marker), children: this.runs(block.runs, base) }),
        ];
      case 'code': {
        const lines = block.text.replace(/\n$/, '').split('\n');
        const para = new Paragraph({
          ...this.paragraphProps(ctx),
          shading: { type: ShadingType.CLEAR, fill: CODE_FILL, color: 'auto' },
          children: lines.map(
            (text, i) => new TextRun({ text, font: MONO, size: 19, ...(i > 0 ? { break: 1 } : {}) }),
          ),
        });
        return marker ? [new Paragraph({ ...marker, children: [] }), para] : [para];
      }
      case 'quote':
        return this.blocks(block.blocks, { ...ctx, indent: ctx.indent + INDENT, quote: true }, marker);
      case 'rule':
        return [
          new Paragraph({
            ...this.paragraphProps(ctx, marker),
            border: { bottom: { style: BorderStyle.SINGLE, size: 6, color: 'D1D9E0', space: 1 } },
            children: [],
          }),
        ];
      case 'list':
        return this.list(block, ctx);
      case 'table':
        return [this.table(block)];
    }
  }

  private orderedReference(start: number): string {
    const reference = `ordered-${++this.ordered}`;
    const levels: ILevelsOptions[] = Array.from({ length: 9 }, (_, level) => ({
      level,
      format: LevelFormat.DECIMAL,
      text: `%${level + 1}.`,
      start: level === 0 ? start : 1,
      alignment: AlignmentType.START,
      style: { paragraph: { indent: { left: INDENT * 2 * (level + 1), hanging: INDENT } } },
    }));
    this.numbering.push({ reference, levels });
    return reference;
  }

  private list(block: Extract<Block, { type: 'list' }>, ctx: Context): (Paragraph | Table)[] {
    const level = Math.min(8, ctx.listLevel + 1);
    const inner: Context = { indent: INDENT * 2 * (level + 1), listLevel: level, quote: ctx.quote };
    const out: (Paragraph | Table)[] = [];
    // Every nested ordered list gets its own numbering definition, so each starts at its own start number.
    const reference = block.ordered ? this.orderedReference(block.start) : undefined;
    for (const item of block.items) {
      const marker: ListMarker = reference ? { numbering: { reference, level } } : { bullet: { level } };
      let blocks = item.blocks;
      if (item.checked !== undefined) {
        const box: Run = { text: item.checked ? '☑ ' : '☐ ' };
        const [first, ...rest] = blocks;
        blocks =
          first?.type === 'paragraph'
            ? [{ type: 'paragraph', runs: [box, ...first.runs] }, ...rest]
            : [{ type: 'paragraph', runs: [box] }, ...blocks];
      }
      if (blocks.length === 0) blocks = [{ type: 'paragraph', runs: [] }];
      out.push(...this.blocks(blocks, inner, marker));
    }
    return out;
  }

  private table(block: Extract<Block, { type: 'table' }>): Table {
    const rows = [block.header, ...block.rows].map(
      (cells, r) =>
        new TableRow({
          // Only the header row: docx writes <w:tblHeader/> for `false` too.
          ...(r === 0 ? { tableHeader: true } : {}),
          children: cells.map(
            (cell) =>
              new TableCell({
                children: [new Paragraph({ children: this.runs(cell, r === 0 ? { bold: true } : {}) })],
              }),
          ),
        }),
    );
    return new Table({ rows, width: { size: 100, type: WidthType.PERCENTAGE } });
  }
}

export async function renderDocx(
  input: { title: string; contentData: string; version: number },
  options: ExportOptions = {},
): Promise<Buffer> {
  const { title, blocks } = titledDocument(input.title, input.contentData);
  const builder = new DocxBuilder();
  const body = builder.blocks(blocks, { indent: 0, listLevel: -1, quote: false });
  const exportedAt = options.exportedAt ?? new Date();
  const doc = new Document({
    title,
    creator: 'Switchyard',
    lastModifiedBy: 'Switchyard',
    description: `Version ${input.version}, exported ${exportedAt.toISOString()}`,
    numbering: { config: builder.numbering },
    sections: [
      {
        children: [
          new Paragraph({ heading: HeadingLevel.TITLE, children: [new TextRun(title)] }),
          new Paragraph({
            children: [new TextRun({ text: `Version ${input.version}`, color: MUTED, size: 18 })],
          }),
          ...body,
        ],
      },
    ],
  });
  return Packer.toBuffer(doc);
}

export const docxExporter: Exporter = {
  format: 'docx',
  mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  extension: 'docx',
  render(source, options) {
    return renderDocx(source, options);
  },
};
