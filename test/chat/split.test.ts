import { describe, expect, it } from 'vitest';
import { splitText } from '../../src/core/commands/split.js';
import { taskMessages, viewTaskEvent } from '../../src/core/commands/taskView.js';
import type { TaskRecord } from '../../src/core/tasks/types.js';

const para = (n: number, word = 'lorem') =>
  `${Array.from({ length: n }, (_, i) => `${word}${i}`).join(' ')}.`;
const squash = (s: string) => s.replace(/\s+/g, ' ').trim();

describe('splitText', () => {
  it('returns short text unchanged', () => {
    expect(splitText('hello world', 100)).toEqual(['hello world']);
  });

  it('splits on paragraph boundaries and keeps every chunk within the limit', () => {
    const paragraphs = [para(30, 'a'), para(40, 'b'), para(25, 'c'), para(35, 'd')];
    const text = paragraphs.join('\n\n');
    const chunks = splitText(text, 400);
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) expect(c.length).toBeLessThanOrEqual(400);
    // No paragraph that fits is cut: each chunk is made of whole paragraphs.
    for (const c of chunks) for (const p of c.split('\n\n')) expect(paragraphs).toContain(p);
    expect(squash(chunks.join(' '))).toBe(squash(text));
  });

  it('breaks a paragraph longer than the limit at sentences, then words', () => {
    const long = Array.from({ length: 40 }, (_, i) => `Sentence number ${i} is here.`).join(' ');
    const chunks = splitText(long, 200);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(200);
      expect(c.endsWith('.')).toBe(true);
    }
    expect(squash(chunks.join(' '))).toBe(squash(long));
    const words = Array.from({ length: 200 }, (_, i) => `w${i}`).join(' ');
    const w = splitText(words, 100);
    for (const c of w) expect(c.length).toBeLessThanOrEqual(100);
    expect(w.join(' ')).toBe(words);
  });

  it('hard-cuts text without spaces but never inside a surrogate pair', () => {
    const emoji = '😀'.repeat(100); // 200 UTF-16 units
    const chunks = splitText(emoji, 65);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(65);
      expect(c).toMatch(/^(?:😀)+$/u);
    }
    expect(chunks.join('')).toBe(emoji);
    const cjk = '日本語のテキスト'.repeat(50);
    expect(splitText(cjk, 100).join('')).toBe(cjk);
  });

  it('closes and reopens a code fence cut in two', () => {
    const code = Array.from({ length: 30 }, (_, i) => `  const v${i} = compute(${i}); // step ${i}`).join(
      '\n',
    );
    const text = `Here is the code:\n\n\`\`\`ts\n${code}\n\`\`\`\n\nThat is all.`;
    const chunks = splitText(text, 300);
    expect(chunks.length).toBeGreaterThan(2);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(300);
      expect((c.match(/^```/gm) ?? []).length % 2).toBe(0);
    }
    expect(chunks[1]!.startsWith('```ts\n')).toBe(true);
    // Indentation inside the code survives the split.
    expect(chunks[1]).toMatch(/\n {2}const v\d+/);
  });

  it('refuses silly limits', () => {
    expect(() => splitText('x', 10)).toThrow(RangeError);
  });
});

describe('taskMessages', () => {
  const task = {
    id: '0f0e0d0c-0000-4000-8000-000000000001',
    title: 'An article',
    description: 'x',
    contentId: 'c0000000-0000-4000-8000-000000000002',
    error: null,
  } as TaskRecord;

  it('puts the headline first and the portal link last, each part within the limit', () => {
    const body = Array.from({ length: 12 }, (_, i) => para(40, `p${i}`)).join('\n\n');
    const view = viewTaskEvent(
      {
        kind: 'completed',
        task,
        content: { id: task.contentId!, title: 'An article', contentData: body, version: 1 },
      },
      'https://sy.example',
    );
    const parts = taskMessages(view, 2000);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts[0]!.startsWith('✅ Done: “An article” (task 0f0e0d0c)')).toBe(true);
    expect(parts.at(-1)).toContain(
      'Full result: https://sy.example/content/c0000000-0000-4000-8000-000000000002',
    );
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(2000);
  });

  it('stops after maxParts and sends the rest to the portal', () => {
    const body = Array.from({ length: 60 }, (_, i) => para(40, `p${i}`)).join('\n\n');
    const view = viewTaskEvent(
      {
        kind: 'completed',
        task,
        content: { id: task.contentId!, title: 'T', contentData: body, version: 1 },
      },
      'https://sy.example',
    );
    const parts = taskMessages(view, 2000, { maxParts: 3 });
    expect(parts.length).toBeLessThanOrEqual(4);
    expect(parts.at(-1)).toContain('the rest is in the portal: https://sy.example/content/');
  });

  it('words a failure plainly', () => {
    const failed = viewTaskEvent(
      {
        kind: 'failed',
        task: { ...task, contentId: null, error: 'All providers failed: rate limited\n  at stack (x.ts:1)' },
      },
      'https://sy.example',
    );
    expect(failed.headline).toBe(
      '❌ Task 0f0e0d0c failed: All providers failed: rate limited. Try again with Regenerate.',
    );
    expect(failed.buttons.map((b) => b.action)).toEqual(['regenerate']);
  });
});
