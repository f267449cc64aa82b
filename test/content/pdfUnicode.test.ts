import { PDFParse } from 'pdf-parse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderSharePage } from '../../src/core/content/sharePage.js';
import { renderPdf } from '../../src/core/export/pdf.js';
import { registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import { parseHtml } from './dom.js';
import { contentWithBody } from './helpers.js';

/**
 * PDF export of non-Latin text through POST /api/content/:id/export, read back with pdf.js (via
 * pdf-parse). Left-to-right scripts come back as written. For right-to-left text pdf.js returns
 * each word in logical order, but a line's words in the order they stand on the page, so for
 * Arabic and Hebrew the test checks every word and every letter, not the sentence.
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ roles: ['api', 'worker'] });
});
afterAll(async () => {
  await app?.close();
});

async function pdfText(bytes: Buffer): Promise<string> {
  const parser = new PDFParse({ data: new Uint8Array(bytes) });
  try {
    return (await parser.getText()).text;
  } finally {
    await parser.destroy();
  }
}

const LTR = {
  russian: 'Съешь же ещё этих мягких французских булок',
  greek: 'Καλημέρα κόσμε, ξεσκεπάζω την ψυχοφθόρα βδελυγμία',
  japanese: 'いろはにほへと ちりぬるを、カタカナも漢字も駅前で読めます',
  chinese: '我能吞下玻璃而不伤身体。',
};
const RTL = {
  arabic: 'مرحبا بالعالم من سويتشيارد',
  hebrew: 'שלום עולם מה נשמע',
};

describe('PDF export of non-Latin text', () => {
  let text: string;
  const title = 'Отчёт 報告 تقرير דוח';
  beforeAll(async () => {
    const u = await registerUser(app.url);
    const body = [
      '# Δοκιμή',
      ...Object.values(LTR),
      ...Object.values(RTL),
      `Mixed line: Hello ${RTL.hebrew} and 123`,
      '```\nconst greeting = "Привет, 世界";\n```',
    ].join('\n\n');
    const { contentId } = await contentWithBody(u.api, body, title);
    const res = await fetch(`${app.url}/api/content/${contentId}/export`, {
      method: 'POST',
      headers: { authorization: `Bearer ${u.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ format: 'pdf' }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    text = await pdfText(Buffer.from(await res.arrayBuffer()));
  });

  it.each(Object.entries(LTR))('%s comes back as written', (_name, sample) => {
    expect(text).toContain(sample);
  });

  it.each(Object.entries(RTL))('%s: every word and every letter comes back', (_name, sample) => {
    for (const word of sample.split(' ')) expect(text).toContain(word);
    const printed = new Set(text);
    for (const ch of sample.replace(/ /g, '')) expect(printed.has(ch), ch).toBe(true);
  });

  it('prints the title, headings and code in their scripts, with no "?" stand-ins', () => {
    for (const word of title.split(' ')) expect(text).toContain(word);
    expect(text).toContain('Δοκιμή');
    expect(text).toContain('const greeting = "Привет, 世界";');
    expect(text).toContain('Mixed line: Hello');
    expect(text).not.toContain('?');
  });
});

describe('hostile PDF input', () => {
  it('a paragraph switching script on every character (140,000 runs) renders instead of overflowing the stack', {
    timeout: 120_000,
  }, async () => {
    const pdf = await renderPdf({ title: 'Runs', contentData: 'aא'.repeat(70_000), version: 1 });
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.length).toBeGreaterThan(10_000);
  });
});

describe('share pages', () => {
  it('declare UTF-8 and let each block take its direction from its text', () => {
    const page = renderSharePage({
      title: 'שלום',
      markdown: `${RTL.arabic}\n\n- ${RTL.hebrew}\n\n> ${LTR.russian}\n\n| a |\n|---|\n| ${RTL.arabic} |\n`,
      version: 1,
    });
    expect(page.headers['Content-Type']).toBe('text/html; charset=utf-8');
    expect(page.html).toContain('<meta charset="utf-8">');
    const doc = parseHtml(page.html);
    expect(doc.querySelector('h1')?.getAttribute('dir')).toBe('auto');
    const blocks = [
      ...doc.querySelectorAll('article p, article li, article blockquote, article td, article th'),
    ];
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    for (const block of blocks) expect(block.getAttribute('dir'), block.textContent ?? '').toBe('auto');
    expect(doc.querySelector('article p')?.textContent).toBe(RTL.arabic);
  });
});
