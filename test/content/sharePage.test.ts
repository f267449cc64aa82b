import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { renderSharePage } from '../../src/core/content/sharePage.js';
import { activeContent, parseHtml } from './dom.js';
import { ALL_HOSTILE, HOSTILE_MARKDOWN } from './hostile.js';

const expiresAt = new Date('2030-01-02T03:04:05Z');

describe('renderSharePage', () => {
  it.each(Object.entries(HOSTILE_MARKDOWN))('neutralizes %s', (_name, markdown) => {
    const page = renderSharePage({ title: 'Shared', markdown, version: 2, expiresAt });
    expect(activeContent(parseHtml(page.html))).toEqual([]);
  });

  it('sanitizes HTML given directly as well', () => {
    const page = renderSharePage({
      title: 'Shared',
      html: '<p onclick="x">hi</p><script>alert(1)</script><a href="javascript:alert(1)">a</a><iframe></iframe>',
      version: 1,
    });
    const doc = parseHtml(page.html);
    expect(activeContent(doc)).toEqual([]);
    expect(doc.querySelector('article')?.textContent).toContain('hi');
  });

  it('escapes a hostile title', () => {
    const title = '</title><script>alert(1)</script><img src=x onerror=alert(1)>';
    const page = renderSharePage({ title, markdown: ALL_HOSTILE, version: 1, expiresAt });
    const doc = parseHtml(page.html);
    expect(activeContent(doc)).toEqual([]);
    expect(doc.title).toBe(title);
    expect(doc.querySelector('header h1')?.textContent).toBe(title);
  });

  it('is kept out of search engines and shows version and expiry', () => {
    const page = renderSharePage({ title: 'Notes', markdown: 'Body text.', version: 7, expiresAt });
    const doc = parseHtml(page.html);
    expect(doc.querySelector('meta[name="robots"]')?.getAttribute('content')).toBe('noindex,nofollow');
    expect(page.headers['X-Robots-Tag']).toBe('noindex, nofollow');
    expect(doc.querySelector('.doc-meta')?.textContent).toBe('Version 7');
    expect(doc.querySelector('footer')?.textContent).toContain('2 Jan 2030');
    expect(doc.querySelector('article')?.textContent).toContain('Body text.');
  });

  it('does not repeat a title the body already starts with', () => {
    const page = renderSharePage({ title: 'My Post', markdown: '# My Post\n\nText', version: 1 });
    const doc = parseHtml(page.html);
    expect(doc.querySelectorAll('h1').length).toBe(1);
    expect(doc.querySelector('footer')?.textContent).toBe('Read-only shared copy.');
  });

  it('has a CSP that allows exactly its own inline style and nothing inline else', () => {
    const page = renderSharePage({ title: 'T', markdown: 'x', version: 1, expiresAt: null });
    const doc = parseHtml(page.html);
    const styles = [...doc.querySelectorAll('style')];
    expect(styles).toHaveLength(1);
    const hash = createHash('sha256')
      .update(styles[0]!.textContent ?? '', 'utf8')
      .digest('base64');
    expect(page.csp).toContain(`style-src 'sha256-${hash}'`);
    expect(page.csp).not.toContain('unsafe-inline');
    expect(page.csp).not.toContain('script-src');
    for (const directive of [
      "default-src 'none'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ]) {
      expect(page.csp).toContain(directive);
    }
    expect(page.headers['Content-Security-Policy']).toBe(page.csp);
    expect(page.headers['Content-Type']).toBe('text/html; charset=utf-8');
    expect(page.headers['Cache-Control']).toBe('no-store');
  });
});
