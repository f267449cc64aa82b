import sanitizeHtml from 'sanitize-html';

/**
 * Text out of HTML, for the formats that are not HTML. sanitize-html (htmlparser2 underneath) does the
 * parsing and knows every named character reference; with no tags allowed it returns the text content,
 * drops the content of script/style/textarea, and escapes only `&`, `<` and `>`, which we undo.
 */
const textOnly: sanitizeHtml.IOptions = { allowedTags: [], allowedAttributes: {} };

const basic: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"' };

function unescapeBasic(escaped: string): string {
  return escaped.replace(/&(amp|lt|gt|quot);/g, (_, name: string) => basic[name]!);
}

/** The readable text of an HTML fragment: tags removed, script/style content dropped, entities decoded. */
export function htmlToText(html: string): string {
  return unescapeBasic(sanitizeHtml(html, textOnly));
}

/** The same text, still escaped for safe use inside HTML. */
export function htmlToEscapedText(html: string): string {
  return sanitizeHtml(html, textOnly);
}

/**
 * Decodes character references (`&amp;`, `&copy;`, `&#8212;`) in text that is not HTML, such as a
 * markdown text token, keeping every `<` and `>` as the literal character it is.
 */
export function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return htmlToText(text.replace(/</g, '&lt;').replace(/>/g, '&gt;'));
}
