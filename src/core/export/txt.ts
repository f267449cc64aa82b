import { type Block, type Run, titledDocument } from '../content/document.js';
import type { Exporter } from './types.js';

/** Runs as plain text; a link whose text is not its URL is followed by the URL in parentheses. */
export function runsToPlainText(runs: Run[]): string {
  let out = '';
  let linkText = '';
  let linkHref: string | undefined;
  const closeLink = () => {
    if (linkHref) {
      const bare = linkHref.replace(/^mailto:/, '');
      const shown = linkText.trim();
      if (shown !== linkHref && shown !== bare && `${shown}/` !== linkHref) out += ` (${linkHref})`;
    }
    linkText = '';
    linkHref = undefined;
  };
  for (const r of runs) {
    if (r.href !== linkHref) closeLink();
    if (r.href) {
      linkHref = r.href;
      linkText += r.text;
    }
    out += r.text;
  }
  closeLink();
  return out;
}

function underline(text: string, ch: string): string {
  return ch.repeat(Math.max(3, Array.from(text).length));
}

function blockLines(block: Block): string[] {
  switch (block.type) {
    case 'heading': {
      const text = runsToPlainText(block.runs).replace(/\n/g, ' ');
      if (block.level === 1) return [text, underline(text, '=')];
      if (block.level === 2) return [text, underline(text, '-')];
      return [text];
    }
    case 'paragraph':
      return runsToPlainText(block.runs).split('\n');
    case 'code':
      return block.text.split('\n').map((line) => (line ? `    ${line}` : ''));
    case 'quote':
      return blocksToLines(block.blocks).map((line) => (line ? `> ${line}` : '>'));
    case 'rule':
      return ['----------'];
    case 'list':
      return block.items.flatMap((item, i) => {
        const marker = block.ordered ? `${block.start + i}. ` : '- ';
        const box = item.checked === undefined ? '' : item.checked ? '[x] ' : '[ ] ';
        const inner = blocksToLines(item.blocks, false);
        const pad = ' '.repeat(marker.length);
        return inner.length === 0
          ? [`${marker}${box}`.trimEnd()]
          : inner.map((line, j) => (j === 0 ? `${marker}${box}${line}` : line ? `${pad}${line}` : ''));
      });
    case 'table': {
      const rows = [block.header, ...block.rows].map((cells) =>
        cells.map((cell) => runsToPlainText(cell).replace(/\n/g, ' ')).join(' | '),
      );
      const [head, ...rest] = rows;
      return head === undefined ? [] : [head, underline(head, '-'), ...rest];
    }
  }
}

/** Lines of text for some blocks, separated by blank lines (or not, inside a list item). */
export function blocksToLines(blocks: Block[], spaced = true): string[] {
  const lines: string[] = [];
  for (const block of blocks) {
    if (spaced && lines.length > 0) lines.push('');
    lines.push(...blockLines(block));
  }
  return lines;
}

/** Markdown as readable plain text: the title underlined, then the body without markup. */
export function markdownToPlainText(title: string, markdown: string): string {
  const { title: shownTitle, blocks } = titledDocument(title, markdown);
  const head = [shownTitle, underline(shownTitle, '=')];
  const body = blocksToLines(blocks);
  const lines = body.length > 0 ? [...head, '', ...body] : head;
  return `${lines.map((line) => line.replace(/[ \t]+$/, '')).join('\n')}\n`;
}

export const txtExporter: Exporter = {
  format: 'txt',
  mimeType: 'text/plain; charset=utf-8',
  extension: 'txt',
  render(source) {
    return markdownToPlainText(source.title, source.contentData);
  },
};
