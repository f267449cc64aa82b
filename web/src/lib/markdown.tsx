/**
 * Markdown → safe React elements, in the browser.
 *
 * `marked` turns Markdown into an HTML string. Rather than trusting that string (generated content
 * can carry raw HTML, and `sanitize-html` is built for Node: it pulls in htmlparser2, postcss and
 * friends and expects Node built-ins), we parse it with the browser's own `DOMParser` into an inert
 * document (no scripts run, nothing loads) and walk that tree against an allowlist, building React
 * elements. Nothing is ever assigned to innerHTML, so anything the allowlist does not know simply
 * never reaches the page: tags outside it are unwrapped (their text kept) or dropped with their
 * contents (script, style, iframe, forms…), every attribute outside it is dropped (so no `on*`
 * handlers, `style`, `srcdoc`…), and URLs must resolve to http(s) (or mailto for links).
 */
import { marked } from 'marked';
import { createElement, type ReactNode } from 'react';

const ALLOWED_TAGS = new Set([
  'a',
  'abbr',
  'b',
  'blockquote',
  'br',
  'code',
  'dd',
  'del',
  'details',
  'dl',
  'dt',
  'em',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'hr',
  'i',
  'img',
  'input',
  'kbd',
  'li',
  'mark',
  'ol',
  'p',
  'pre',
  's',
  'span',
  'strong',
  'sub',
  'summary',
  'sup',
  'table',
  'tbody',
  'td',
  'tfoot',
  'th',
  'thead',
  'tr',
  'u',
  'ul',
]);

/** Removed together with everything inside them. */
const DROP_WITH_CONTENT = new Set([
  'script',
  'style',
  'iframe',
  'frame',
  'frameset',
  'object',
  'embed',
  'applet',
  'noscript',
  'template',
  'textarea',
  'select',
  'option',
  'button',
  'form',
  'svg',
  'math',
  'title',
  'head',
  'link',
  'meta',
  'base',
  'audio',
  'video',
  'source',
  'track',
  'canvas',
]);

const VOID_TAGS = new Set(['br', 'hr', 'img', 'input']);
/** Elements React refuses whitespace text inside. */
const NO_TEXT_CHILDREN = new Set(['table', 'thead', 'tbody', 'tfoot', 'tr']);

const LINK_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);
const IMAGE_PROTOCOLS = new Set(['http:', 'https:']);

/**
 * The URL if it is safe to put in href/src, else null. Uses the URL parser, which normalises
 * case, whitespace and control characters the same way the browser would when following it.
 */
export function safeUrl(value: string | null, kind: 'link' | 'image'): string | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (!trimmed) return null;
  if (kind === 'link' && trimmed.startsWith('#')) return trimmed;
  let url: URL;
  try {
    url = new URL(trimmed, 'https://relative.invalid/');
  } catch {
    return null;
  }
  const allowed = kind === 'link' ? LINK_PROTOCOLS : IMAGE_PROTOCOLS;
  return allowed.has(url.protocol) ? trimmed : null;
}

function isExternal(href: string): boolean {
  return /^(https?:)?\/\//i.test(href);
}

function propsFor(el: Element, tag: string, key: number): Record<string, unknown> | null {
  const props: Record<string, unknown> = { key };
  const title = el.getAttribute('title');
  switch (tag) {
    case 'a': {
      const href = safeUrl(el.getAttribute('href'), 'link');
      if (href) {
        props.href = href;
        if (isExternal(href)) {
          props.target = '_blank';
          props.rel = 'noopener noreferrer nofollow';
        }
      }
      if (title) props.title = title;
      break;
    }
    case 'img': {
      const src = safeUrl(el.getAttribute('src'), 'image');
      if (!src) return null; // an image we may not load is dropped entirely
      props.src = src;
      props.alt = el.getAttribute('alt') ?? '';
      props.loading = 'lazy';
      props.referrerPolicy = 'no-referrer';
      if (title) props.title = title;
      break;
    }
    case 'input': {
      if ((el.getAttribute('type') ?? '').toLowerCase() !== 'checkbox') return null;
      props.type = 'checkbox';
      props.checked = el.hasAttribute('checked');
      props.disabled = true;
      props.readOnly = true;
      props['aria-label'] = el.hasAttribute('checked') ? 'done' : 'not done';
      break;
    }
    case 'code': {
      const lang = /(?:^|\s)(language-[\w+-]+)(?:\s|$)/.exec(el.getAttribute('class') ?? '');
      if (lang) props.className = lang[1];
      break;
    }
    case 'ol': {
      const start = Number(el.getAttribute('start'));
      if (Number.isInteger(start)) props.start = start;
      break;
    }
    case 'td':
    case 'th': {
      const align = (el.getAttribute('align') ?? '').toLowerCase();
      if (align === 'left' || align === 'right' || align === 'center') props.style = { textAlign: align };
      const colSpan = Number(el.getAttribute('colspan'));
      if (Number.isInteger(colSpan) && colSpan > 1 && colSpan < 100) props.colSpan = colSpan;
      const rowSpan = Number(el.getAttribute('rowspan'));
      if (Number.isInteger(rowSpan) && rowSpan > 1 && rowSpan < 100) props.rowSpan = rowSpan;
      if (tag === 'th')
        props.scope = el.parentElement?.parentElement?.tagName.toLowerCase() === 'thead' ? 'col' : undefined;
      break;
    }
    case 'details': {
      if (el.hasAttribute('open')) props.open = true;
      break;
    }
    case 'abbr': {
      if (title) props.title = title;
      break;
    }
  }
  return props;
}

function convertChildren(parent: Node, parentTag: string): ReactNode[] {
  const out: ReactNode[] = [];
  parent.childNodes.forEach((node, i) => {
    const converted = convertNode(node, i, parentTag);
    if (converted === null) return;
    if (Array.isArray(converted)) out.push(...converted);
    else out.push(converted);
  });
  return out;
}

function convertNode(node: Node, key: number, parentTag: string): ReactNode | ReactNode[] | null {
  if (node.nodeType === Node.TEXT_NODE) {
    const text = node.textContent ?? '';
    if (NO_TEXT_CHILDREN.has(parentTag) && !text.trim()) return null;
    return text;
  }
  if (node.nodeType !== Node.ELEMENT_NODE) return null; // comments, processing instructions
  const el = node as Element;
  const tag = el.tagName.toLowerCase();
  if (DROP_WITH_CONTENT.has(tag)) return null;
  if (!ALLOWED_TAGS.has(tag)) {
    // Unknown wrapper (div, section, font, custom elements…): keep what is inside.
    const children = convertChildren(el, parentTag);
    return children.length ? createElement('span', { key }, ...children) : null;
  }
  const props = propsFor(el, tag, key);
  if (!props) return null;
  if (VOID_TAGS.has(tag)) return createElement(tag, props);
  return createElement(tag, props, ...convertChildren(el, tag));
}

/** Sanitize an HTML string into React elements (see the file comment for the rules). */
export function sanitizeHtmlToReact(html: string): ReactNode[] {
  const doc = new DOMParser().parseFromString(html, 'text/html');
  return convertChildren(doc.body, 'body');
}

export function markdownToHtml(markdown: string): string {
  return marked.parse(markdown, { async: false, gfm: true }) as string;
}

/** Markdown source → sanitized React elements. */
export function renderMarkdown(markdown: string): ReactNode[] {
  return sanitizeHtmlToReact(markdownToHtml(markdown));
}
