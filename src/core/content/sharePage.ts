import { displayTitle, markdownToDocument, startsWithTitle } from './document.js';
import { documentCsp, renderHtmlDocument } from './htmlDocument.js';
import { renderMarkdownToSafeHtml, sanitizeContentHtml } from './render.js';

export type SharePageInput = {
  title: string;
  version: number;
  /** When the link stops working; null or undefined for a link without expiry. */
  expiresAt?: Date | string | null;
} & ({ markdown: string; html?: never } | { html: string; markdown?: never });

export interface SharePage {
  /** The complete page. */
  html: string;
  /** The exact Content-Security-Policy header value for this page (no 'unsafe-inline'). */
  csp: string;
  /** Every header the page should be served with. */
  headers: Record<string, string>;
}

const expiryFormat = new Intl.DateTimeFormat('en-GB', {
  dateStyle: 'medium',
  timeStyle: 'short',
  timeZone: 'UTC',
});

function formatExpiry(expiresAt: Date | string | null | undefined): string | undefined {
  if (expiresAt === null || expiresAt === undefined) return undefined;
  const date = expiresAt instanceof Date ? expiresAt : new Date(expiresAt);
  return Number.isNaN(date.getTime()) ? undefined : `${expiryFormat.format(date)} UTC`;
}

/**
 * The public, read-only page behind a share link. Markdown is rendered through the safe renderer;
 * HTML given directly is sanitized again with the same allow-list, so either way nothing active
 * reaches the visitor. The page is kept out of search engines and caches.
 */
export function renderSharePage(input: SharePageInput): SharePage {
  const title = displayTitle(input.title);
  let bodyHtml: string;
  let omitTitleHeading = false;
  if (input.markdown !== undefined) {
    bodyHtml = renderMarkdownToSafeHtml(input.markdown);
    omitTitleHeading = startsWithTitle(markdownToDocument(input.markdown), title);
  } else {
    bodyHtml = sanitizeContentHtml(input.html);
  }
  const expiry = formatExpiry(input.expiresAt);
  const html = renderHtmlDocument({
    title,
    bodyHtml,
    omitTitleHeading,
    metaLine: `Version ${input.version}`,
    footerLine: expiry ? `Read-only shared copy. This link expires on ${expiry}.` : 'Read-only shared copy.',
    metaTags: { robots: 'noindex,nofollow' },
  });
  const csp = documentCsp({ forHeader: true });
  return {
    html,
    csp,
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': csp,
      'X-Robots-Tag': 'noindex, nofollow',
      'Referrer-Policy': 'no-referrer',
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-store',
    },
  };
}
