import { displayTitle, markdownToDocument, startsWithHeading1 } from '../content/document.js';
import { normalizeNewlines } from '../content/markdown.js';
import type { Exporter } from './types.js';

// Backslash-escape what would change a heading line's meaning (CommonMark allows escaping any ASCII punctuation).
function escapeInline(text: string): string {
  return text.replace(/[\\`*_[\]<>&|~#!]/g, '\\$&');
}

/**
 * The body as written, headed by the title unless the body already opens with a top-level heading
 * (the title itself, or its own H1: a second H1 above it would repeat the title).
 */
export const markdownExporter: Exporter = {
  format: 'markdown',
  mimeType: 'text/markdown; charset=utf-8',
  extension: 'md',
  render(source) {
    const title = displayTitle(source.title);
    const body = normalizeNewlines(source.contentData).replace(/\s+$/, '');
    const heading = startsWithHeading1(markdownToDocument(body)) ? '' : `# ${escapeInline(title)}\n\n`;
    return `${heading}${body}\n`;
  },
};
