import mammoth from 'mammoth';
import { PDFParse } from 'pdf-parse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import { activeContent, parseHtml } from './dom.js';
import { contentWithBody, createContent, expectError } from './helpers.js';
import { ALL_HOSTILE } from './hostile.js';

/** POST /api/content/:id/export over HTTP: every format opens, any version, hostile content stays inert. */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ roles: ['api', 'worker'] });
});
afterAll(async () => {
  await app?.close();
});

async function exportFile(token: string, contentId: string, body: unknown) {
  const res = await fetch(`${app.url}/api/content/${contentId}/export`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

async function pdfText(bytes: Buffer): Promise<string> {
  const parser = new PDFParse({ data: new Uint8Array(bytes) });
  try {
    return (await parser.getText()).text;
  } finally {
    await parser.destroy();
  }
}

const BODY = '# Field Notes\n\nTide pools **shine** at dawn.\n\n- starfish\n- anemone\n';
const TITLE = 'Field Notes';

describe('export', () => {
  let u: Awaited<ReturnType<typeof registerUser>>;
  let contentId: string;
  beforeAll(async () => {
    u = await registerUser(app.url);
    ({ contentId } = await contentWithBody(u.api, BODY, TITLE));
  });

  it.each([
    ['markdown', 'text/markdown; charset=utf-8', 'md'],
    ['html', 'text/html; charset=utf-8', 'html'],
    ['txt', 'text/plain; charset=utf-8', 'txt'],
    ['json', 'application/json; charset=utf-8', 'json'],
    ['pdf', 'application/pdf', 'pdf'],
    ['docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'docx'],
  ])('%s: the right Content-Type and Content-Disposition, and the file opens', async (format, type, ext) => {
    const r = await exportFile(u.accessToken, contentId, { format });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe(type);
    expect(r.headers.get('content-disposition')).toBe(
      `attachment; filename="Field-Notes-v2.${ext}"; filename*=UTF-8''Field-Notes-v2.${ext}`,
    );
    expect(r.headers.get('cache-control')).toBe('no-store');

    let text: string;
    switch (format) {
      case 'pdf':
        expect(r.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
        text = await pdfText(r.bytes);
        break;
      case 'docx':
        expect(r.bytes.subarray(0, 2).toString('latin1')).toBe('PK');
        text = (await mammoth.extractRawText({ buffer: r.bytes })).value;
        break;
      case 'json': {
        const doc = JSON.parse(r.bytes.toString('utf8'));
        expect(doc).toMatchObject({
          id: contentId,
          title: TITLE,
          version: 2,
          contentData: BODY,
          metadata: expect.objectContaining({ source: 'edit', createdBy: u.user.id }),
        });
        text = doc.contentData;
        break;
      }
      case 'html': {
        const doc = parseHtml(r.bytes.toString('utf8'));
        expect(doc.querySelector('article strong')?.textContent).toBe('shine');
        expect(activeContent(doc)).toEqual([]);
        text = `${doc.title}\n${doc.querySelector('article')?.textContent ?? ''}`;
        break;
      }
      default:
        text = r.bytes.toString('utf8');
    }
    expect(text).toContain('Field Notes');
    expect(text).toContain('starfish');
    expect(text.replace(/\*\*/g, '')).toContain('Tide pools shine at dawn.');
  });

  it('exports any version, not only the current one', async () => {
    const v1 = (await u.api.get(`/api/content/${contentId}/versions/1`)).body;
    const md = await exportFile(u.accessToken, contentId, { format: 'markdown', version: 1 });
    expect(md.status).toBe(200);
    expect(md.headers.get('content-disposition')).toContain('-v1.md"');
    const text = md.bytes.toString('utf8');
    expect(text).toContain(v1.contentData.trim().split('\n').at(-1));
    expect(text).not.toContain('Tide pools **shine**');

    const pdf = await exportFile(u.accessToken, contentId, { format: 'pdf', version: 1 });
    expect(pdf.status).toBe(200);
    expect(await pdfText(pdf.bytes)).toContain('Version 1');
    const json = JSON.parse(
      (await exportFile(u.accessToken, contentId, { format: 'json', version: 1 })).bytes.toString(),
    );
    expect(json).toMatchObject({
      version: 1,
      metadata: expect.objectContaining({ provider: 'Mock', source: 'generation' }),
    });
  });

  it('neutralizes hostile content in the HTML export and keeps it out of PDF/DOCX markup', async () => {
    const { contentId: hostile } = await contentWithBody(u.api, ALL_HOSTILE, '"><script>alert(1)</script>');
    const html = await exportFile(u.accessToken, hostile, { format: 'html' });
    expect(html.status).toBe(200);
    const page = html.bytes.toString('utf8');
    const doc = parseHtml(page);
    expect(activeContent(doc)).toEqual([]);
    expect(page).not.toMatch(/<script|<iframe|<svg|<object|<embed|<form/i);
    expect(doc.title).toBe('"><script>alert(1)</script>');
    // The file name never carries markup or quotes.
    const disposition = html.headers.get('content-disposition') ?? '';
    expect(disposition).toMatch(
      /^attachment; filename="[A-Za-z0-9._-]+"; filename\*=UTF-8''[A-Za-z0-9._%-]+$/,
    );

    const docx = await exportFile(u.accessToken, hostile, { format: 'docx' });
    const docxHtml = (await mammoth.convertToHtml({ buffer: docx.bytes })).value;
    expect(activeContent(parseHtml(docxHtml))).toEqual([]);
    // A PDF shows the markup as plain text (harmless there) but carries no script or unsafe link action.
    const pdf = await exportFile(u.accessToken, hostile, { format: 'pdf' });
    expect(pdf.status).toBe(200);
    expect(await pdfText(pdf.bytes)).toContain('hello alert(document.cookie) world');
    expect(pdf.bytes.toString('latin1')).not.toMatch(
      /\/JavaScript|\/JS\b|\/Launch|\/URI\s*\((?!https?:|mailto:)/,
    );
  });

  it('a non-ASCII title keeps its letters in filename*', async () => {
    const { contentId: id } = await contentWithBody(u.api, 'Bonjour', 'Café déjà vu — 東京');
    const r = await exportFile(u.accessToken, id, { format: 'txt' });
    const disposition = r.headers.get('content-disposition') ?? '';
    expect(disposition).toMatch(/^attachment; filename="Cafe-deja-vu[^"]*-v2\.txt"/);
    const star = /filename\*=UTF-8''(.+)$/.exec(disposition)?.[1] ?? '';
    expect(decodeURIComponent(star)).toContain('東京');
  });

  it('refuses bad input and other users', async () => {
    for (const body of [
      {},
      { format: 'exe' },
      { format: 'PDF' },
      { format: 5 },
      { format: 'pdf', version: 0 },
      { format: 'pdf', version: -1 },
      { format: 'pdf', version: 'abc' },
      { format: 'pdf', version: 2 ** 40 },
      { format: 'pdf', extra: true },
    ]) {
      const r = await u.api.post(`/api/content/${contentId}/export`, body);
      expectError(r, 400, 'validation_failed');
    }
    expectError(
      await u.api.post(`/api/content/${contentId}/export`, { format: 'pdf', version: 99 }),
      404,
      'not_found',
    );
    expectError(
      await u.api.call('POST', `/api/content/${contentId}/export`, '{format:'),
      400,
      'invalid_json',
    );

    const other = await registerUser(app.url);
    for (const format of ['markdown', 'html', 'txt', 'json', 'pdf', 'docx']) {
      expectError(await other.api.post(`/api/content/${contentId}/export`, { format }), 404, 'not_found');
    }
    const { contentId: fresh } = await createContent(other.api);
    expect((await other.api.post(`/api/content/${fresh}/export`, { format: 'txt' })).status).toBe(200);
  });
});
