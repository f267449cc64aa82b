import { Marked, type TokensList } from 'marked';

/**
 * The one markdown dialect Switchyard speaks: GitHub-flavoured markdown as `marked` parses it. Every
 * renderer (HTML, plain text, PDF, DOCX) starts from these tokens so the formats agree on structure.
 */
const lexerInstance = new Marked({ gfm: true, breaks: false, async: false });

export function lexMarkdown(markdown: string): TokensList {
  return lexerInstance.lexer(normalizeNewlines(markdown));
}

export function normalizeNewlines(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}
