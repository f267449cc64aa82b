import { AppError } from '../errors.js';

/**
 * Size limits for content bodies, in characters (JavaScript string length, as zod counts).
 *
 * One number on purpose: every version the API accepts can also be diffed, exported and shown on a
 * share page. Rendering cost grows with the body (a 1,000,000-character DOCX takes seconds of a
 * worker thread), so the same number bounds what a single request can make the render pool do.
 */
export const MAX_VERSION_CHARS = 1_000_000;

const n = (x: number) => x.toLocaleString('en-US');

/** An edit (or any new version written through the API) longer than the limit: 413. */
export function assertVersionSize(contentData: string): void {
  if (contentData.length > MAX_VERSION_CHARS) {
    throw new AppError(
      'payload_too_large',
      `contentData is ${n(contentData.length)} characters; a content version may hold at most ${n(MAX_VERSION_CHARS)} characters`,
      { details: { field: 'contentData', length: contentData.length, limit: MAX_VERSION_CHARS } },
    );
  }
}

/**
 * A stored version too long to render (e.g. a generation longer than the edit limit): 422, naming
 * the version, its length and the limit. `what` is the operation ("diff", "export", "share page").
 */
export function assertRenderable(what: string, version: number, contentData: string): void {
  if (contentData.length > MAX_VERSION_CHARS) {
    throw new AppError(
      'content_too_large',
      `Version ${version} is ${n(contentData.length)} characters; ${what} handles at most ${n(MAX_VERSION_CHARS)} characters per version`,
      { details: { version, length: contentData.length, limit: MAX_VERSION_CHARS } },
    );
  }
}
