import { escapeHtml } from './escapeHtml.js';
import { documentCsp, renderHtmlDocument } from './htmlDocument.js';
import type { SharePage } from './sharePage.js';

/**
 * The page a visitor sees for a share link that is unknown, expired or revoked. It does not say
 * which, so a link's history is not disclosed. Same strict headers as the share page.
 */
export function renderShareNotFoundPage(): SharePage {
  return renderShareMessagePage(
    'Link not available',
    'This share link does not exist, has expired or was revoked. Ask the person who sent it for a new one.',
  );
}

/** A short page with one message (plain text), served with the share page's strict headers. */
export function renderShareMessagePage(title: string, message: string): SharePage {
  const csp = documentCsp({ forHeader: true });
  return {
    html: renderHtmlDocument({
      title,
      bodyHtml: `<p>${escapeHtml(message)}</p>\n`,
      metaTags: { robots: 'noindex,nofollow' },
    }),
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
