import mammoth from 'mammoth';
import { PDFParse } from 'pdf-parse';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/core/errors.js';
import { EXPORT_FORMATS, type ExportFormat, exportContent } from '../../src/core/export/index.js';
import { activeContent, parseHtml } from './dom.js';
import { ALL_HOSTILE } from './hostile.js';

const exportedAt = new Date('2030-05-06T07:08:09.000Z');

const BODY = [
  '## Background',
  '',
  'The **quick** brown *fox* jumps over the `lazy` dog. Read [the spec](https://example.com/spec)',
  'and [this](javascript:alert(1)) too &amp; more.',
  '',
  '- first point',
  '- second point',
  '  1. nested step',
  '- [x] finished task',
  '',
  '3. third item',
  '4. fourth item',
  '',
  '> A wise quote',
  '',
  '```python',
  'print("hello < world")',
  '```',
  '',
  '| Name | Score |',
  '|------|------:|',
  '| Ada  | 42    |',
  '',
  '---',
  '',
  'Closing paragraph.',
].join('\n');

const SOURCE = {
  id: '7f0c7e5e-0000-4000-8000-000000000001',
  taskId: '7f0c7e5e-0000-4000-8000-000000000002',
  title: 'Quarterly Report',
  contentData: BODY,
  version: 3,
  contentType: 'article',
  status: 'draft',
  metadata: {
    provider: 'OpenAI',
    model: 'gpt-test',
    accountId: 'acc-1',
    tokens: { prompt: 10, completion: 20 },
    latencyMs: 1234,
    fallbackChain: ['anthropic', 'openai'],
  },
  createdAt: new Date('2030-01-01T00:00:00.000Z'),
};

async function exportAs(format: ExportFormat, overrides: Partial<typeof SOURCE> = {}) {
  return exportContent({ ...SOURCE, ...overrides, format }, { exportedAt });
}

function asBuffer(body: Buffer | string): Buffer {
  expect(Buffer.isBuffer(body)).toBe(true);
  return body as Buffer;
}

function asText(body: Buffer | string): string {
  expect(typeof body).toBe('string');
  return body as string;
}

async function pdfText(body: Buffer): Promise<string> {
  const parser = new PDFParse({ data: new Uint8Array(body) });
  try {
    return (await parser.getText()).text;
  } finally {
    await parser.destroy();
  }
}

describe('exportContent', () => {
  it.each([
    ['markdown', 'text/markdown; charset=utf-8', 'Quarterly-Report-v3.md'],
    ['txt', 'text/plain; charset=utf-8', 'Quarterly-Report-v3.txt'],
    ['html', 'text/html; charset=utf-8', 'Quarterly-Report-v3.html'],
    ['json', 'application/json; charset=utf-8', 'Quarterly-Report-v3.json'],
    ['pdf', 'application/pdf', 'Quarterly-Report-v3.pdf'],
    [
      'docx',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      'Quarterly-Report-v3.docx',
    ],
  ] as const)('%s has content type %s and file name %s', async (format, contentType, filename) => {
    const file = await exportAs(format);
    expect(file.contentType).toBe(contentType);
    expect(file.filename).toBe(filename);
  });

  it('covers exactly the six formats of the API', () => {
    expect([...EXPORT_FORMATS].sort()).toEqual(['docx', 'html', 'json', 'markdown', 'pdf', 'txt']);
  });

  it('refuses an unknown format', async () => {
    const request = { ...SOURCE, format: 'exe' as ExportFormat };
    await expect(exportContent(request)).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(exportContent(request)).rejects.toBeInstanceOf(AppError);
  });

  describe('markdown', () => {
    it('is the body headed by the title', async () => {
      const text = asText((await exportAs('markdown')).body);
      expect(text).toBe(`# Quarterly Report\n\n${BODY}\n`);
    });

    it('does not repeat a title the body already starts with', async () => {
      const text = asText((await exportAs('markdown', { contentData: '# Quarterly Report\n\nHello' })).body);
      expect(text).toBe('# Quarterly Report\n\nHello\n');
    });

    it('does not add the title above a body that starts with its own H1', async () => {
      const own = '# Tide pools, explained\n\nHello';
      expect(asText((await exportAs('markdown', { contentData: own })).body)).toBe(`${own}\n`);
      // A level-2 heading is not the document's title: the title still goes first.
      const h2 = '## Background\n\nHello';
      expect(asText((await exportAs('markdown', { contentData: h2 })).body)).toBe(
        `# Quarterly Report\n\n${h2}\n`,
      );
    });

    it('escapes markdown syntax in the title', async () => {
      const text = asText(
        (await exportAs('markdown', { title: '<b>*Big*</b> [x](y)', contentData: 'Body' })).body,
      );
      expect(text.split('\n')[0]).toBe('# \\<b\\>\\*Big\\*\\</b\\> \\[x\\](y)');
    });
  });

  describe('txt', () => {
    it('is readable plain text without markdown syntax', async () => {
      const text = asText((await exportAs('txt')).body);
      const lines = text.split('\n');
      expect(lines.slice(0, 2)).toEqual(['Quarterly Report', '================']);
      expect(text).toContain('Background\n----------');
      expect(text).toContain(
        'The quick brown fox jumps over the lazy dog. Read the spec (https://example.com/spec) and this too & more.',
      );
      expect(text).toContain('- first point\n- second point\n  1. nested step\n- [x] finished task');
      expect(text).toContain('3. third item\n4. fourth item');
      expect(text).toContain('> A wise quote');
      expect(text).toContain('    print("hello < world")');
      expect(text).toContain('Name | Score');
      expect(text).toContain('Closing paragraph.');
      expect(text).not.toMatch(/\*\*|`|\]\(|^#/m);
      expect(text).not.toContain('javascript');
    });

    it('strips raw HTML to its text', async () => {
      const text = asText(
        (await exportAs('txt', { contentData: 'a <b>bold</b> b\n\n<script>evil()</script>' })).body,
      );
      expect(text).toContain('a bold b');
      expect(text).not.toContain('<b>');
      expect(text).not.toContain('evil');
    });
  });

  describe('html', () => {
    it('is a complete standalone document with the escaped title and the rendered body', async () => {
      const html = asText((await exportAs('html')).body);
      expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
      const doc = parseHtml(html);
      expect(doc.title).toBe('Quarterly Report');
      expect(doc.querySelector('header h1')?.textContent).toBe('Quarterly Report');
      expect(doc.querySelector('article h2')?.textContent).toBe('Background');
      expect(doc.querySelector('article a')?.getAttribute('href')).toBe('https://example.com/spec');
      expect(doc.querySelectorAll('article li').length).toBe(6);
      expect(
        doc.querySelector('meta[http-equiv="Content-Security-Policy"]')?.getAttribute('content'),
      ).toContain("default-src 'none'");
      expect(activeContent(doc)).toEqual([]);
    });

    it('neutralizes hostile content and a hostile title', async () => {
      const title = '"><script>alert(1)</script>';
      const html = asText((await exportAs('html', { title, contentData: ALL_HOSTILE })).body);
      const doc = parseHtml(html);
      expect(activeContent(doc)).toEqual([]);
      expect(doc.title).toBe(title);
    });
  });

  describe('json', () => {
    it('holds the body, the version and the provenance', async () => {
      const data = JSON.parse(asText((await exportAs('json')).body));
      expect(data).toEqual({
        id: SOURCE.id,
        taskId: SOURCE.taskId,
        title: 'Quarterly Report',
        contentType: 'article',
        status: 'draft',
        version: 3,
        contentData: BODY,
        metadata: SOURCE.metadata,
        createdAt: '2030-01-01T00:00:00.000Z',
        exportedAt: '2030-05-06T07:08:09.000Z',
      });
    });
  });

  describe('pdf', () => {
    it('opens and holds the title and the body text', async () => {
      const body = asBuffer((await exportAs('pdf')).body);
      expect(body.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      const text = await pdfText(body);
      for (const expected of [
        'Quarterly Report',
        'Version 3',
        'Background',
        'The quick brown fox jumps over the lazy dog.',
        'first point',
        'nested step',
        '[x] finished task',
        '3.',
        'fourth item',
        'A wise quote',
        'print("hello < world")',
        'Ada',
        'Closing paragraph.',
      ]) {
        expect(text).toContain(expected);
      }
    });

    it('links only to safe URLs', async () => {
      // Link annotations are plain PDF objects, outside the compressed content streams.
      const raw = asBuffer((await exportAs('pdf')).body).toString('latin1');
      expect(raw).toContain('/URI (https://example.com/spec)');
      expect(raw).not.toContain('javascript');
    });

    it('prints non-Western text with the shipped Unicode fonts, "?" only for what no font has', async () => {
      const body = asBuffer(
        (await exportAs('pdf', { title: 'Café 日本', contentData: 'Smart “quotes” — ok ✓ 漢字 \u{1F600}' }))
          .body,
      );
      const text = await pdfText(body);
      expect(text).toContain('Café 日本');
      expect(text).toMatch(/Smart “quotes” — ok (✓|v) 漢字 \?/);
    });

    it('survives hostile content', async () => {
      const body = asBuffer(
        (await exportAs('pdf', { title: 'a\u0000b\u0007c', contentData: ALL_HOSTILE })).body,
      );
      const text = await pdfText(body);
      expect(text).toContain('abc');
      expect(text).not.toContain('<script');
    });
  });

  describe('docx', () => {
    it('opens and holds the title and the body text', async () => {
      const body = asBuffer((await exportAs('docx')).body);
      expect(body.subarray(0, 2).toString('latin1')).toBe('PK');
      const { value: text } = await mammoth.extractRawText({ buffer: body });
      for (const expected of [
        'Quarterly Report',
        'Version 3',
        'Background',
        'The quick brown fox jumps over the lazy dog.',
        'first point',
        'nested step',
        '☑ finished task',
        'fourth item',
        'A wise quote',
        'print("hello < world")',
        'Ada',
        'Closing paragraph.',
      ]) {
        expect(text).toContain(expected);
      }
    });

    it('uses headings, lists and safe links', async () => {
      const body = asBuffer((await exportAs('docx')).body);
      const { value: html } = await mammoth.convertToHtml(
        { buffer: body },
        { styleMap: ["p[style-name='Title'] => h1.doc-title:fresh"] },
      );
      const doc = parseHtml(html);
      expect(doc.querySelector('h1.doc-title')?.textContent).toBe('Quarterly Report');
      expect(doc.querySelector('h2')?.textContent).toBe('Background');
      expect([...doc.querySelectorAll('a')].map((a) => a.getAttribute('href'))).toEqual([
        'https://example.com/spec',
      ]);
      expect(doc.querySelectorAll('ul li').length).toBeGreaterThanOrEqual(3);
      expect(doc.querySelectorAll('ol li').length).toBeGreaterThanOrEqual(2);
      expect([...doc.querySelectorAll('table th')].map((th) => th.textContent)).toEqual(['Name', 'Score']);
      expect([...doc.querySelectorAll('table td')].map((td) => td.textContent)).toEqual(['Ada', '42']);
    });

    it('survives hostile content and control characters', async () => {
      const body = asBuffer(
        (await exportAs('docx', { title: 'x\u0000y & <z>', contentData: `${ALL_HOSTILE}\n\nbad\u0001char` }))
          .body,
      );
      const { value: text } = await mammoth.extractRawText({ buffer: body });
      expect(text).toContain('xy & <z>');
      expect(text).toContain('badchar');
      expect(text).not.toContain('<script');
    });
  });
});
