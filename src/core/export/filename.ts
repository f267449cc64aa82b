import { cleanText } from '../content/cleanText.js';

/**
 * File names for downloads. `safeFilename` is plain ASCII (letters, digits, "-", "_", ".") so it can go
 * into the quoted `filename` parameter of Content-Disposition as is; `unicodeFilename` keeps the
 * title's letters in any script for the RFC 5987 `filename*` parameter.
 */
const MAX_BASE_LENGTH = 80;
const FALLBACK = 'content';
// Device names that Windows refuses as a file name, with or without an extension.
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/i;

function suffix(version: number | undefined, ext: string): string {
  const v = version !== undefined && Number.isSafeInteger(version) && version >= 0 ? `-v${version}` : '';
  const e = ext
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .slice(0, 10);
  return `${v}${e ? `.${e}` : ''}`;
}

function tidy(base: string): string {
  let out = base
    .replace(/-{2,}/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/^[-._\s]+/u, '');
  out = Array.from(out).slice(0, MAX_BASE_LENGTH).join('');
  out = out.replace(/[-._\s]+$/u, '');
  if (WINDOWS_RESERVED.test(out)) out = `${FALLBACK}-${out}`;
  return out;
}

/** ASCII-only, no separators, no control characters, no leading dot, length-capped; "content" when nothing is left. */
export function safeFilename(title: string, version: number | undefined, ext: string): string {
  const ascii = cleanText(title)
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '') // "Café" → "Cafe"
    .replace(/[^A-Za-z0-9._-]+/g, '-');
  return `${tidy(ascii) || FALLBACK}${suffix(version, ext)}`;
}

/** Like safeFilename but keeps letters and digits of every script; still no separators, quotes or controls. */
export function unicodeFilename(title: string, version: number | undefined, ext: string): string {
  const base = tidy(
    cleanText(title)
      .normalize('NFC')
      .replace(/[^\p{L}\p{N}\p{M}._-]+/gu, '-'),
  );
  return base ? `${base}${suffix(version, ext)}` : safeFilename(title, version, ext);
}

function quotedAscii(filename: string): string {
  const ascii = filename
    .replace(/[^\x20-\x7e]+/g, '_') // no controls (CR/LF), no non-ASCII
    .replace(/["\\/]/g, '_')
    .replace(/^[.\s]+/, '')
    .trim();
  return ascii || 'download';
}

function rfc5987(value: string): string {
  return encodeURIComponent(value).replace(
    /['()*]/g,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * `attachment; filename="…"; filename*=UTF-8''…` (RFC 6266 with RFC 5987 encoding). Whatever it is
 * given, the result is a single header line: no CR/LF, no unescaped quote, only ASCII.
 */
export function contentDisposition(filename: string, utf8Filename: string = filename): string {
  const star = cleanText(utf8Filename)
    .replace(/[\r\n]+/g, ' ')
    .replace(/[/\\]/g, '_')
    .trim();
  return `attachment; filename="${quotedAscii(filename)}"; filename*=UTF-8''${rfc5987(star || quotedAscii(filename))}`;
}
