import { createRequire } from 'node:module';

/**
 * A real HTML parser (jsdom) for asserting on rendered output. jsdom ships no type declarations here,
 * so the little of its API these tests use is typed locally.
 */
export interface DomElement {
  tagName: string;
  textContent: string | null;
  getAttributeNames(): string[];
  getAttribute(name: string): string | null;
  querySelectorAll(selector: string): Iterable<DomElement> & { length: number };
}

export interface DomDocument extends DomElement {
  title: string;
  querySelector(selector: string): DomElement | null;
}

interface JsdomModule {
  JSDOM: new (html: string) => { window: { document: DomDocument } };
}

const { JSDOM } = createRequire(import.meta.url)('jsdom') as JsdomModule;

export function parseHtml(html: string): DomDocument {
  return new JSDOM(html).window.document;
}

const FORBIDDEN_ELEMENTS = [
  'script',
  'iframe',
  'frame',
  'object',
  'embed',
  'form',
  'input',
  'button',
  'textarea',
  'select',
  'svg',
  'math',
  'base',
  'link',
  'applet',
  'noscript',
  'template',
];
const URL_ATTRIBUTES = [
  'href',
  'src',
  'action',
  'formaction',
  'xlink:href',
  'srcset',
  'poster',
  'background',
  'cite',
];
const SAFE_URL = /^(https?:|mailto:|#|\/(?!\/)|[^:/?#]*(?:[/?#]|$))/i;

/**
 * Everything in a parsed document that could run code or load something unexpected: forbidden
 * elements, on* handlers, style attributes, meta refresh, and URLs with a scheme other than
 * http/https/mailto. Returns human-readable findings; an empty list means clean.
 */
export function activeContent(doc: DomDocument): string[] {
  const findings: string[] = [];
  for (const tag of FORBIDDEN_ELEMENTS) {
    if (doc.querySelectorAll(tag).length > 0) findings.push(`<${tag}> element`);
  }
  for (const meta of doc.querySelectorAll('meta[http-equiv]')) {
    if (meta.getAttribute('http-equiv')?.toLowerCase() === 'refresh') findings.push('meta refresh');
  }
  for (const el of doc.querySelectorAll('*')) {
    for (const name of el.getAttributeNames()) {
      const lower = name.toLowerCase();
      if (lower.startsWith('on')) findings.push(`${el.tagName} ${name}=`);
      if (lower === 'style') findings.push(`${el.tagName} style=`);
      if (URL_ATTRIBUTES.includes(lower)) {
        // Browsers ignore ASCII whitespace and controls around and inside a scheme.
        // biome-ignore lint/suspicious/noControlCharactersInRegex: normalising like a browser does
        const value = (el.getAttribute(name) ?? '').replace(/[\u0000-\u0020]/g, '');
        if (!SAFE_URL.test(value)) findings.push(`${el.tagName} ${name}="${value}"`);
      }
    }
  }
  return findings;
}
