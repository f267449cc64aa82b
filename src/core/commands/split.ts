/**
 * Splits text into chunks of at most `limit` UTF-16 code units (JavaScript string length, which is
 * never less than what Slack, Discord or Telegram count), breaking on the best boundary available:
 * a paragraph break, else a line break, else the end of a sentence, else a space, else anywhere
 * (never inside a surrogate pair). A fenced code block cut in two is closed at the end of one chunk
 * and reopened (with its language) at the start of the next, so each chunk renders on its own.
 * Pure; no platform knowledge.
 */
export function splitText(text: string, limit: number): string[] {
  if (!Number.isInteger(limit) || limit < 64)
    throw new RangeError('splitText: limit must be an integer ≥ 64');
  const chunks: string[] = [];
  let rest = text.trim();
  let reopen = ''; // a fence to reopen at the start of the next chunk
  while (rest.length > 0) {
    const prefix = reopen ? `${reopen}\n` : '';
    if (prefix.length + rest.length <= limit) {
      chunks.push(prefix + rest);
      break;
    }
    // Room for the prefix and, in the worst case, a closing fence.
    const room = limit - prefix.length - 4;
    let cut = bestBreak(rest, room);
    let chunk = rest.slice(0, cut).trimEnd();
    if (chunk.length === 0) {
      cut = safeCut(rest, room);
      chunk = rest.slice(0, cut);
    }
    const fence = openFence(prefix + chunk);
    chunks.push(fence === null ? prefix + chunk : `${prefix}${chunk}\n\`\`\``);
    reopen = fence ?? '';
    rest = rest.slice(cut);
    // Inside code keep indentation (drop only the line break we cut at); elsewhere drop the break.
    rest = reopen ? rest.replace(/^[ \t]?\r?\n/, '') : rest.trimStart();
  }
  return chunks;
}

/** Prefers (in order) a paragraph break, a line break, a sentence end, a space — in the later part of the window. */
function bestBreak(s: string, room: number): number {
  const window = s.slice(0, room + 1);
  const floor = Math.floor(room * 0.4);
  const candidates: Array<(w: string) => number> = [
    (w) => w.lastIndexOf('\n\n'),
    (w) => w.lastIndexOf('\n'),
    (w) => {
      let best = -1;
      for (const m of w.matchAll(/[.!?。！？…](?:["')\]]*)\s/gu)) best = m.index + m[0].length - 1;
      return best;
    },
    (w) => Math.max(w.lastIndexOf(' '), w.lastIndexOf('\t')),
  ];
  for (const find of candidates) {
    const i = find(window);
    if (i >= floor && i <= room) return i;
  }
  return safeCut(s, room);
}

/** Cuts at `room`, stepping back so a surrogate pair (emoji, rare CJK) is never split. */
function safeCut(s: string, room: number): number {
  let cut = Math.max(1, Math.min(room, s.length));
  const code = s.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff && cut > 1) cut -= 1;
  return cut;
}

/** The opening line of a code fence left open at the end of `s`, or null if fences are balanced. */
function openFence(s: string): string | null {
  let open: string | null = null;
  for (const line of s.split('\n')) {
    const m = /^\s*(```+)(.*)$/.exec(line);
    if (!m) continue;
    open = open === null ? `\`\`\`${m[2]!.trim().slice(0, 20)}` : null;
  }
  return open;
}
