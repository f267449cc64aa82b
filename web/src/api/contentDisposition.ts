/**
 * The file name from a `Content-Disposition` header (RFC 6266): prefers `filename*=UTF-8''…`
 * over `filename="…"`, and strips any path so a hostile name cannot point outside the download folder.
 */
export function filenameFromDisposition(header: string | null, fallback: string): string {
  if (!header) return fallback;
  let name: string | undefined;
  const star = /filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i.exec(header);
  if (star) {
    try {
      name = decodeURIComponent(star[2].trim().replace(/^"|"$/g, ''));
    } catch {
      name = undefined;
    }
  }
  if (!name) {
    const quoted = /filename\s*=\s*"((?:\\.|[^"\\])*)"/i.exec(header);
    if (quoted) name = quoted[1].replace(/\\(.)/g, '$1');
    else {
      const bare = /filename\s*=\s*([^;]+)/i.exec(header);
      if (bare) name = bare[1].trim();
    }
  }
  const base = name
    ?.split(/[/\\]/)
    .pop()
    ?.split('')
    .filter((ch) => ch.charCodeAt(0) >= 0x20)
    .join('')
    .trim();
  return base && base !== '.' && base !== '..' ? base : fallback;
}

/** Save a blob through the browser's normal download flow. */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Give the browser a moment to start the download before releasing the URL.
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}
