/**
 * Large markdown bodies for the render-offload tests and the content benchmark: numbered list lines
 * under a heading every 40 lines. `variant` changes every `every`-th line, so two variants of the
 * same size differ in a known number of lines.
 */
export function bigMarkdown(chars: number, variant = 0, every = 25): string {
  const words = ['tide', 'pool', 'anemone', 'crab', 'kelp', 'rock', 'wave', 'shell', 'urchin', 'star'];
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < chars; i++) {
    const edited = variant !== 0 && i % every === every - 1;
    const text =
      i % 40 === 0
        ? `## Section ${i / 40}`
        : `- ${Array.from({ length: 10 }, (_, k) => words[(i * 7 + k * 3) % words.length]).join(' ')} **${i}**${edited ? ` (edit ${variant})` : ''}`;
    lines.push(text);
    size += text.length + 1;
  }
  return lines.join('\n').slice(0, chars);
}
