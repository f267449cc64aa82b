import { validateHeaderValue } from 'node:http';
import { describe, expect, it } from 'vitest';
import { contentDisposition, safeFilename, unicodeFilename } from '../../src/core/export/filename.js';

const SAFE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
// attachment; filename="<printable ASCII without quote or backslash>"; filename*=UTF-8''<RFC 5987 attr-chars>
const DISPOSITION =
  /^attachment; filename="([\x20\x21\x23-\x5b\x5d-\x7e]*)"; filename\*=UTF-8''([A-Za-z0-9!#$&+\-.^_`|~%]+)$/;

describe('safeFilename', () => {
  it.each([
    ['../../etc/passwd', 'etc-passwd-v2.pdf'],
    ['a"b\r\nX-Injected: 1', 'a-b-X-Injected-1-v2.pdf'],
    ['Café résumé', 'Cafe-resume-v2.pdf'],
    ['日本語のタイトル', 'content-v2.pdf'],
    ['', 'content-v2.pdf'],
    ['   ', 'content-v2.pdf'],
    ['...hidden', 'hidden-v2.pdf'],
    ['C:\\Windows\\system32', 'C-Windows-system32-v2.pdf'],
    ['CON', 'content-CON-v2.pdf'],
    ['\u0000\u001f\u007f', 'content-v2.pdf'],
  ])('%j → %s', (title, expected) => {
    const name = safeFilename(title, 2, 'pdf');
    expect(name).toBe(expected);
    expect(name).toMatch(SAFE);
  });

  it('caps the length', () => {
    const name = safeFilename('x'.repeat(500), 12, 'docx');
    expect(name.length).toBeLessThanOrEqual(100);
    expect(name.endsWith('-v12.docx')).toBe(true);
  });

  it('sanitizes the extension too', () => {
    expect(safeFilename('a', 1, '../PDF')).toBe('a-v1.pdf');
  });
});

describe('unicodeFilename', () => {
  it('keeps letters of any script but no separators or quotes', () => {
    expect(unicodeFilename('日本語 / "報告"', 1, 'md')).toBe('日本語-報告-v1.md');
    expect(unicodeFilename('../../etc/passwd', 1, 'md')).toBe('etc-passwd-v1.md');
    expect(unicodeFilename('', 1, 'md')).toBe('content-v1.md');
  });
});

describe('contentDisposition', () => {
  it.each([
    ['../../etc/passwd'],
    ['a"b\r\nX-Injected: 1'],
    ['日本語のタイトル'],
    [''],
    ["it's (50%) *done*"],
  ])('is one well-formed header line for %j', (title) => {
    const value = contentDisposition(safeFilename(title, 1, 'txt'), unicodeFilename(title, 1, 'txt'));
    expect(value).toMatch(DISPOSITION);
    expect(() => validateHeaderValue('Content-Disposition', value)).not.toThrow();
    expect(value).not.toMatch(/[\r\n]/);
  });

  it('carries the unicode name in filename*', () => {
    const value = contentDisposition(safeFilename('日本語', 1, 'pdf'), unicodeFilename('日本語', 1, 'pdf'));
    const [, ascii, encoded] = DISPOSITION.exec(value)!;
    expect(ascii).toBe('content-v1.pdf');
    expect(decodeURIComponent(encoded!)).toBe('日本語-v1.pdf');
  });

  it('defends itself against a raw hostile name', () => {
    const value = contentDisposition('a"b\r\nX-Injected: 1\\..\u00ff.txt');
    expect(value).toMatch(DISPOSITION);
    expect(() => validateHeaderValue('Content-Disposition', value)).not.toThrow();
    expect(value).not.toContain('\n');
  });
});
