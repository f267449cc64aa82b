import { createHash } from 'node:crypto';
import { escapeHtml } from './escapeHtml.js';

/**
 * The standalone HTML shell shared by the HTML export and the public share page. Its only inline code
 * is one <style> element whose SHA-256 is computed here, so a Content-Security-Policy can allow exactly
 * that stylesheet without 'unsafe-inline'.
 */
export const DOCUMENT_CSS = `
:root { color-scheme: light dark; --fg: #1f2328; --muted: #59636e; --bg: #ffffff; --code-bg: #f3f4f6; --border: #d1d9e0; --link: #0969da; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117; --code-bg: #161b22; --border: #30363d; --link: #4493f8; }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 17px/1.65 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 46rem; margin: 0 auto; padding: 3rem 1.25rem 4rem; }
header.doc-header { border-bottom: 1px solid var(--border); margin-bottom: 2rem; padding-bottom: 1rem; }
header.doc-header h1 { margin: 0 0 .35rem; font-size: 2rem; line-height: 1.25; }
.doc-meta { margin: 0; color: var(--muted); font-size: .875rem; }
article { overflow-wrap: anywhere; }
article h1, article h2, article h3, article h4, article h5, article h6 { line-height: 1.3; margin: 1.8em 0 .6em; }
article h1 { font-size: 1.75rem; } article h2 { font-size: 1.4rem; } article h3 { font-size: 1.2rem; }
article p, article ul, article ol, article blockquote, article pre, article table { margin: 0 0 1.1em; }
article li > ul, article li > ol { margin-bottom: 0; }
article a { color: var(--link); }
article img { max-width: 100%; height: auto; }
article blockquote { margin-left: 0; padding: .1em 1em; border-left: 4px solid var(--border); color: var(--muted); }
article code { font: .875em/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--code-bg); padding: .15em .35em; border-radius: 4px; }
article pre { background: var(--code-bg); padding: 1rem; border-radius: 6px; overflow-x: auto; }
article pre code { background: none; padding: 0; }
article table { border-collapse: collapse; display: block; overflow-x: auto; }
article th, article td { border: 1px solid var(--border); padding: .4em .75em; }
article hr { border: 0; border-top: 1px solid var(--border); margin: 2em 0; }
footer.doc-footer { margin-top: 3rem; padding-top: 1rem; border-top: 1px solid var(--border); color: var(--muted); font-size: .8125rem; }
`;

export const DOCUMENT_STYLE_HASH = `sha256-${createHash('sha256').update(DOCUMENT_CSS, 'utf8').digest('base64')}`;

/**
 * The policy for a page built by renderHtmlDocument: no scripts, no plugins, no frames, no forms,
 * only our own stylesheet, and images from http(s) only (the sanitizer allows nothing else).
 * `forHeader` adds frame-ancestors, which browsers ignore (with a warning) in a <meta> policy.
 */
export function documentCsp({ forHeader }: { forHeader: boolean }): string {
  const directives = [
    "default-src 'none'",
    `style-src '${DOCUMENT_STYLE_HASH}'`,
    'img-src https: http:',
    "base-uri 'none'",
    "form-action 'none'",
  ];
  if (forHeader) directives.push("frame-ancestors 'none'");
  return directives.join('; ');
}

export interface HtmlDocumentParts {
  title: string;
  /** Already-sanitized HTML for the article body. */
  bodyHtml: string;
  /** Shown under the title, as text. */
  metaLine?: string;
  /** Shown in the footer, as text. */
  footerLine?: string;
  /** Omit the title heading (when the body already starts with it). */
  omitTitleHeading?: boolean;
  /** Extra <meta> elements, as name → content. */
  metaTags?: Record<string, string>;
  /** BCP 47 language tag for <html lang>. */
  lang?: string;
}

const LANG_TAG = /^[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*$/;

/**
 * Gives each text block of (sanitized) HTML dir="auto", so a block takes its direction from its
 * first strong character: Arabic or Hebrew paragraphs read right to left next to English ones.
 * In sanitized HTML a "<" only opens a tag (text and attribute values have it escaped).
 */
export function withAutoDirection(html: string): string {
  return html.replace(
    /<(p|h[1-6]|li|blockquote|td|th|dt|dd|figcaption)(?=[\s>])(?![^>]*\sdir=)/g,
    '<$1 dir="auto"',
  );
}

export function renderHtmlDocument(parts: HtmlDocumentParts): string {
  const title = escapeHtml(parts.title);
  const lang = parts.lang && LANG_TAG.test(parts.lang) ? ` lang="${parts.lang}"` : '';
  const metas = Object.entries(parts.metaTags ?? {})
    .map(([name, content]) => `<meta name="${escapeHtml(name)}" content="${escapeHtml(content)}">\n`)
    .join('');
  const heading = parts.omitTitleHeading ? '' : `<h1 dir="auto">${title}</h1>\n`;
  const meta = parts.metaLine ? `<p class="doc-meta">${escapeHtml(parts.metaLine)}</p>\n` : '';
  const header = heading || meta ? `<header class="doc-header">\n${heading}${meta}</header>\n` : '';
  const footer = parts.footerLine
    ? `<footer class="doc-footer">${escapeHtml(parts.footerLine)}</footer>\n`
    : '';
  return `<!DOCTYPE html>
<html${lang}>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(documentCsp({ forHeader: false }))}">
<meta name="referrer" content="no-referrer">
${metas}<title>${title}</title>
<style>${DOCUMENT_CSS}</style>
</head>
<body>
<main>
${header}<article>
${withAutoDirection(parts.bodyHtml)}</article>
${footer}</main>
</body>
</html>
`;
}
