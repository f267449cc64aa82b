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

/** The expensive part of a share page: the sanitized article body (cached per content version). */
export interface ShareBody {
  bodyHtml: string;
  /** The body already opens with the title as its first heading. */
  omitTitleHeading: boolean;
}

/** Renders the markdown body of a share page (marked + sanitize-html: the CPU-heavy step). */
export function renderShareBody(title: string, markdown: string): ShareBody {
  return {
    bodyHtml: renderMarkdownToSafeHtml(markdown),
    omitTitleHeading: startsWithTitle(markdownToDocument(markdown), displayTitle(title)),
  };
}

/** Wraps an already-rendered body into the complete page with its headers (cheap: string assembly). */
export function assembleSharePage(input: {
  title: string;
  version: number;
  expiresAt?: Date | string | null;
  body: ShareBody;
}): SharePage {
  const expiry = formatExpiry(input.expiresAt);
  const html = renderHtmlDocument({
    title: displayTitle(input.title),
    bodyHtml: input.body.bodyHtml,
    omitTitleHeading: input.body.omitTitleHeading,
    metaLine: `Version ${input.version}`,
    footerLine: expiry ? `Read-only shared copy. This link expires on ${expiry}.` : 'Read-only shared copy.',
    metaTags: { robots: 'noindex,nofollow' },
  });
  return sharePageResponse(html);
}

/**
 * A page under /s with the share page's strict headers: a CSP without scripts, never indexed,
 * no referrer, never cached.
 */
export function sharePageResponse(html: string): SharePage {
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

/**
 * The public, read-only page behind a share link. Markdown is rendered through the safe renderer;
 * HTML given directly is sanitized again with the same allow-list, so either way nothing active
 * reaches the visitor. The page is kept out of search engines and caches.
 */
export function renderSharePage(input: SharePageInput): SharePage {
  const body: ShareBody =
    input.markdown !== undefined
      ? renderShareBody(input.title, input.markdown)
      : { bodyHtml: sanitizeContentHtml(input.html), omitTitleHeading: false };
  return assembleSharePage({ title: input.title, version: input.version, expiresAt: input.expiresAt, body });
}
