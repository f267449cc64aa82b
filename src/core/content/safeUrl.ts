/**
 * URL allow-lists shared by every renderer. Only absolute URLs with these schemes become live links
 * or images; everything else (javascript:, vbscript:, data:, file:, relative paths) is dropped.
 */
export const LINK_SCHEMES = ['http', 'https', 'mailto'] as const;
export const IMAGE_SCHEMES = ['http', 'https'] as const;

function absoluteUrlWithScheme(raw: string, schemes: readonly string[]): string | undefined {
  let url: URL;
  try {
    // WHATWG parsing strips the tabs, newlines and leading control characters that are used to
    // smuggle a scheme past naive checks ("java\tscript:", "\u0001javascript:").
    url = new URL(raw.trim());
  } catch {
    return undefined;
  }
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  return schemes.includes(scheme) ? url.href : undefined;
}

/** The normalised href when `raw` is an absolute http(s) or mailto URL, else undefined. */
export function safeLinkUrl(raw: string): string | undefined {
  return absoluteUrlWithScheme(raw, LINK_SCHEMES);
}

/** The normalised src when `raw` is an absolute http(s) URL, else undefined. */
export function safeImageUrl(raw: string): string | undefined {
  return absoluteUrlWithScheme(raw, IMAGE_SCHEMES);
}
