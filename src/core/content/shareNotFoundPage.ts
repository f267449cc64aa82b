import { escapeHtml } from './escapeHtml.js';
import { renderHtmlDocument } from './htmlDocument.js';
import { type SharePage, sharePageResponse } from './sharePage.js';

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
  return sharePageResponse(
    renderHtmlDocument({
      title,
      bodyHtml: `<p>${escapeHtml(message)}</p>\n`,
      metaTags: { robots: 'noindex,nofollow' },
    }),
  );
}
