import { Marked, type Tokens } from 'marked';
import sanitizeHtml from 'sanitize-html';
import { htmlToEscapedText } from './htmlText.js';
import { normalizeNewlines } from './markdown.js';
import { IMAGE_SCHEMES, LINK_SCHEMES } from './safeUrl.js';

/**
 * Markdown → HTML that is safe to serve from our origin.
 *
 * Two layers: marked never emits the author's raw HTML (a raw tag is reduced to its text content and
 * escaped), and sanitize-html then enforces a strict allow-list on whatever marked produced, so a bug
 * or a new feature in either library cannot let active content through on its own.
 */
const marked = new Marked({ gfm: true, breaks: false, async: false }).use({
  renderer: {
    html(token: Tokens.HTML | Tokens.Tag): string {
      const text = htmlToEscapedText(token.text);
      if (!token.block) return text;
      return text.trim() === '' ? '' : `<p>${text.trim()}</p>\n`;
    },
    checkbox({ checked }: Tokens.Checkbox): string {
      // A text glyph rather than an <input>: no form controls in rendered content.
      return checked ? '☑ ' : '☐ ';
    },
  },
});

export const LINK_REL = 'noopener noreferrer nofollow';

const ABSOLUTE_IMAGE_SRC = /^https?:\/\//i;

export const sanitizeOptions: sanitizeHtml.IOptions = {
  allowedTags: [
    'h1',
    'h2',
    'h3',
    'h4',
    'h5',
    'h6',
    'p',
    'br',
    'hr',
    'blockquote',
    'pre',
    'code',
    'ul',
    'ol',
    'li',
    'strong',
    'em',
    'del',
    'a',
    'img',
    'table',
    'thead',
    'tbody',
    'tr',
    'th',
    'td',
  ],
  allowedAttributes: {
    a: ['href', 'title', 'rel'],
    img: ['src', 'alt', 'title'],
    ol: ['start'],
    th: [{ name: 'align', multiple: false, values: ['left', 'center', 'right'] }],
    td: [{ name: 'align', multiple: false, values: ['left', 'center', 'right'] }],
  },
  allowedClasses: { code: [/^language-[\w+#.-]{1,40}$/] },
  allowedSchemes: [...LINK_SCHEMES],
  allowedSchemesByTag: { img: [...IMAGE_SCHEMES] },
  allowedSchemesAppliedToAttributes: ['href', 'src', 'cite'],
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
  // Elements whose content is never readable text: drop it along with the tag.
  nonTextTags: [
    'script',
    'style',
    'textarea',
    'option',
    'noscript',
    'iframe',
    'object',
    'embed',
    'template',
    'svg',
    'math',
    'title',
    'xmp',
    'noembed',
    'noframes',
  ],
  transformTags: {
    a: (tagName, attribs) => ({ tagName, attribs: { ...attribs, rel: LINK_REL } }),
  },
  exclusiveFilter: (frame) => {
    // Images only from absolute http(s) URLs: no relative paths that would hit our own origin.
    if (frame.tag === 'img') return !ABSOLUTE_IMAGE_SRC.test(frame.attribs.src ?? '');
    // A link whose URL was refused keeps its text but stops being a link.
    if (frame.tag === 'a' && !frame.attribs.href) return 'excludeTag';
    return false;
  },
};

/** Sanitizes an HTML fragment with the content allow-list. */
export function sanitizeContentHtml(html: string): string {
  return sanitizeHtml(html, sanitizeOptions);
}

/** Renders markdown to an HTML fragment with no scripts, event handlers, unsafe URLs or raw HTML. */
export function renderMarkdownToSafeHtml(markdown: string): string {
  const html = marked.parse(normalizeNewlines(markdown), { async: false });
  return sanitizeContentHtml(html);
}
