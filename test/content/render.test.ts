import { describe, expect, it } from 'vitest';
import { renderMarkdownToSafeHtml } from '../../src/core/content/render.js';
import { activeContent, parseHtml } from './dom.js';
import { ALL_HOSTILE, HOSTILE_MARKDOWN } from './hostile.js';

function render(markdown: string) {
  const html = renderMarkdownToSafeHtml(markdown);
  return { html, doc: parseHtml(`<!DOCTYPE html><html><head></head><body>${html}</body></html>`) };
}

describe('renderMarkdownToSafeHtml', () => {
  it.each(Object.entries(HOSTILE_MARKDOWN))('neutralizes %s', (_name, markdown) => {
    const { html, doc } = render(markdown);
    expect(activeContent(doc)).toEqual([]);
    // Text that merely mentions these (escaped, or inside a title attribute) is fine; elements and URLs are not.
    expect(html).not.toMatch(/<(script|iframe|svg|math|object|embed|form|input|style|base|meta|link)\b/i);
    expect(html).not.toMatch(/\b(href|src)\s*=\s*["']?\s*(javascript|vbscript|data):/i);
  });

  it('neutralizes all hostile cases in one document', () => {
    const { doc } = render(ALL_HOSTILE);
    expect(activeContent(doc)).toEqual([]);
  });

  it('keeps the text of a refused link but not the link', () => {
    const { doc } = render('[click me](javascript:alert(1))');
    expect(doc.querySelectorAll('a').length).toBe(0);
    expect(doc.querySelector('p')?.textContent).toBe('click me');
  });

  it('reduces raw HTML to its text, so no author tag becomes an element', () => {
    const { doc } = render(
      'plain <b>bold</b> <span class="x">span</span>\n\n<div onclick="x">block **text**</div>',
    );
    expect(doc.querySelectorAll('b, span, div').length).toBe(0);
    expect(doc.querySelector('body')?.textContent).toContain('plain bold span');
    expect(doc.querySelector('body')?.textContent).toContain('block **text**');
  });

  it('drops the content of script elements entirely', () => {
    const { doc } = render('<script>steal()</script>');
    expect(doc.querySelector('body')?.textContent).not.toContain('steal');
  });

  it('renders ordinary markdown', () => {
    const { doc } = render(
      [
        '# Title',
        '',
        'Some **bold**, *em*, ~~gone~~ and `code`.',
        '',
        '- a',
        '- [x] done',
        '',
        '3. three',
        '',
        '> quoted',
        '',
        '```ts',
        'const a = 1 < 2;',
        '```',
        '',
        '| h1 | h2 |',
        '|:--|--:|',
        '| c1 | c2 |',
      ].join('\n'),
    );
    expect(doc.querySelector('h1')?.textContent).toBe('Title');
    expect(doc.querySelector('strong')?.textContent).toBe('bold');
    expect(doc.querySelector('em')?.textContent).toBe('em');
    expect(doc.querySelector('del')?.textContent).toBe('gone');
    expect(doc.querySelector('p code')?.textContent).toBe('code');
    expect([...doc.querySelectorAll('ul li')].map((li) => li.textContent)).toEqual(['a', '☑ done']);
    expect(doc.querySelector('ol')?.getAttribute('start')).toBe('3');
    expect(doc.querySelector('blockquote')?.textContent?.trim()).toBe('quoted');
    expect(doc.querySelector('pre code')?.getAttribute('class')).toBe('language-ts');
    expect(doc.querySelector('pre code')?.textContent).toBe('const a = 1 < 2;\n');
    expect(doc.querySelector('td')?.getAttribute('align')).toBe('left');
    expect(doc.querySelectorAll('th').length).toBe(2);
  });

  it('keeps http, https and mailto links, with rel="noopener noreferrer nofollow"', () => {
    const { doc } = render(
      '[a](https://example.com/x?y=1&z=2) [b](http://example.com) [c](mailto:me@example.com)',
    );
    const links = [...doc.querySelectorAll('a')];
    expect(links.map((a) => a.getAttribute('href'))).toEqual([
      'https://example.com/x?y=1&z=2',
      'http://example.com',
      'mailto:me@example.com',
    ]);
    for (const a of links) expect(a.getAttribute('rel')).toBe('noopener noreferrer nofollow');
  });

  it('keeps only absolute http(s) images', () => {
    const { doc } = render(
      '![ok](https://img.example/a.png) ![rel](/a.png) ![proto](//img.example/b.png) ![data](data:image/png;base64,AAAA)',
    );
    const images = [...doc.querySelectorAll('img')];
    expect(images.map((img) => img.getAttribute('src'))).toEqual(['https://img.example/a.png']);
    expect(images[0]?.getAttribute('alt')).toBe('ok');
  });

  it('drops a code language class that is not a plain identifier', () => {
    const { doc } = render('```js"><b>x\ncode\n```');
    expect(doc.querySelector('pre code')?.getAttribute('class')).toBeNull();
  });
});
