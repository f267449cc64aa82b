import { describe, expect, it } from 'vitest';
import { applyEvent, type LiveText, sseParser } from './liveText';

describe('live task text', () => {
  it('parses events split across chunks', () => {
    const parse = sseParser();
    expect(parse('event: delta\ndata: {"te')).toEqual([]);
    expect(parse('xt":"Hel"}\n\nid: 1.1:3\nevent: delta\ndata: {"text":"lo"}\n\n')).toEqual([
      { event: 'delta', data: { text: 'Hel' } },
      { event: 'delta', data: { text: 'lo' } },
    ]);
  });

  it('joins deltas; a retry marks the text incomplete; a new attempt starts again', () => {
    const start: LiveText = { text: '', incomplete: false, done: false };
    const events = [
      { event: 'attempt', data: {} },
      { event: 'delta', data: { text: 'Half an ' } },
      { event: 'status', data: { status: 'queued' } },
    ];
    const cut = events.reduce(applyEvent, start);
    expect(cut).toEqual({ text: 'Half an ', incomplete: true, done: false });
    const after = [
      { event: 'attempt', data: {} },
      { event: 'delta', data: { text: 'Whole answer' } },
      { event: 'done', data: { contentId: 'c' } },
    ].reduce(applyEvent, cut);
    expect(after).toEqual({ text: 'Whole answer', incomplete: false, done: true });
  });
});
