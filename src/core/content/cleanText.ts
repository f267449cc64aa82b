// Characters that are not allowed in XML 1.0 (a DOCX would be corrupt), break header values and
// file names, and mean nothing in a PDF: C0 controls other than tab/newline/CR, DEL, U+FFFE/U+FFFF,
// and lone surrogates (which also make encodeURIComponent throw).
const INVALID_CHARS =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Removes characters that no document format can hold (controls except tab/newline/CR, lone surrogates). */
export function cleanText(text: string): string {
  return text.replace(INVALID_CHARS, '');
}
