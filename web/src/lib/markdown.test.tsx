import { cleanup, render } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { ContentBody } from '../components/Markdown';
import { renderMarkdown, safeUrl, sanitizeHtmlToReact } from './markdown';

afterEach(cleanup);

const html = (nodes: ReturnType<typeof renderMarkdown>) =>
  render(<div data-testid="out">{nodes}</div>).getByTestId('out');

describe('markdown sanitizer', () => {
  it('renders ordinary markdown', () => {
    const out = html(
      renderMarkdown(
        '# Title\n\nSome **bold** and a [link](https://example.com/a).\n\n```js\nlet x = 1;\n```\n\n| a | b |\n|---|--:|\n| 1 | 2 |',
      ),
    );
    expect(out.querySelector('h1')?.textContent).toBe('Title');
    expect(out.querySelector('strong')?.textContent).toBe('bold');
    const a = out.querySelector('a');
    expect(a?.getAttribute('href')).toBe('https://example.com/a');
    expect(a?.getAttribute('rel')).toBe('noopener noreferrer nofollow');
    expect(out.querySelector('pre code')?.className).toBe('language-js');
    expect(out.querySelector('td[style]')?.getAttribute('style')).toMatch(/text-align: right/);
  });

  it('drops script and style elements with their contents', () => {
    const out = html(
      renderMarkdown(
        'Hello\n\n<script>window.pwned = 1</script>\n\n<style>body{display:none}</style>\n\nbye',
      ),
    );
    expect(out.querySelector('script')).toBeNull();
    expect(out.querySelector('style')).toBeNull();
    expect(out.textContent).not.toContain('pwned');
    expect(out.textContent).not.toContain('display:none');
    expect(out.textContent).toContain('Hello');
    expect(out.textContent).toContain('bye');
  });

  it('removes javascript: and other unsafe link targets, keeping the text', () => {
    const out = html(
      renderMarkdown(
        '[a](javascript:alert(1)) <a href="JaVaScRiPt:alert(2)">b</a> <a href="&#106;avascript:alert(3)">c</a> <a href=" java\tscript:alert(4)">d</a> <a href="data:text/html,<script>x</script>">e</a> <a href="vbscript:x">f</a>',
      ),
    );
    const links = [...out.querySelectorAll('a')];
    expect(links.length).toBeGreaterThan(0);
    for (const a of links) expect(a.hasAttribute('href')).toBe(false);
    expect(out.textContent).toContain('a');
    expect(out.innerHTML.toLowerCase()).not.toContain('javascript');
  });

  it('strips event handlers, inline styles and iframes from raw HTML', () => {
    const out = html(
      sanitizeHtmlToReact(
        '<p onclick="x()" style="color:red" class="evil">p</p><img src="x" onerror="alert(1)"><img src="https://img.example/a.png" onerror="alert(1)" alt="ok"><iframe src="https://evil"></iframe><svg><script>1</script></svg><div onmouseover="x()">kept</div>',
      ),
    );
    expect(out.innerHTML).not.toMatch(/onclick|onerror|onmouseover|style=|class="evil"|iframe|svg/);
    const imgs = out.querySelectorAll('img');
    expect(imgs).toHaveLength(2); // the relative "x" resolves to https and is allowed; both lose onerror
    expect(out.textContent).toContain('kept');
  });

  it('allows only http(s) images and http(s)/mailto/anchor links', () => {
    expect(safeUrl('https://a.example/x', 'link')).toBe('https://a.example/x');
    expect(safeUrl('mailto:a@b.example', 'link')).toBe('mailto:a@b.example');
    expect(safeUrl('#section', 'link')).toBe('#section');
    expect(safeUrl('/relative/path', 'link')).toBe('/relative/path');
    expect(safeUrl('javascript:alert(1)', 'link')).toBeNull();
    expect(safeUrl('\u0001javascript:alert(1)', 'link')).toBeNull();
    expect(safeUrl('mailto:a@b.example', 'image')).toBeNull();
    expect(safeUrl('data:image/png;base64,AAAA', 'image')).toBeNull();
  });

  it('ContentBody renders non-markdown types as plain text', () => {
    const { getByTestId } = render(<ContentBody source={'<b>not html</b>'} contentType="text" />);
    const body = getByTestId('content-body');
    expect(body.tagName).toBe('PRE');
    expect(body.textContent).toBe('<b>not html</b>');
  });
});
