import { displayTitle, markdownToDocument, startsWithTitle } from '../content/document.js';
import { renderHtmlDocument } from '../content/htmlDocument.js';
import { renderMarkdownToSafeHtml } from '../content/render.js';
import type { Exporter } from './types.js';

/** A complete, self-contained HTML file: sanitized body, one hashed inline stylesheet, a strict CSP. */
export const htmlExporter: Exporter = {
  format: 'html',
  mimeType: 'text/html; charset=utf-8',
  extension: 'html',
  render(source) {
    const title = displayTitle(source.title);
    return renderHtmlDocument({
      title,
      bodyHtml: renderMarkdownToSafeHtml(source.contentData),
      omitTitleHeading: startsWithTitle(markdownToDocument(source.contentData), title),
      metaLine: `Version ${source.version}`,
      metaTags: { generator: 'Switchyard' },
    });
  },
};
