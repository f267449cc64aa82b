import { applyPatch } from 'diff';
import { describe, expect, it } from 'vitest';
import { unifiedDiff } from '../../src/core/content/diff.js';

describe('unifiedDiff', () => {
  it('counts added and removed lines and names both versions in the headers', () => {
    const result = unifiedDiff({
      fromVersion: 1,
      toVersion: 2,
      title: 'Post',
      fromText: 'one\ntwo\nthree\nfour\n',
      toText: 'one\nTWO\nthree\nfour\nfive\nsix\n',
    });
    expect(result.additions).toBe(3);
    expect(result.deletions).toBe(1);
    expect(result.identical).toBe(false);
    const lines = result.diff.split('\n');
    expect(lines[0]).toBe('--- Post\tversion 1');
    expect(lines[1]).toBe('+++ Post\tversion 2');
    expect(lines).toContain('-two');
    expect(lines).toContain('+TWO');
    expect(lines).toContain('+six');
    expect(result.hunks).toEqual([{ oldStart: 1, oldLines: 4, newStart: 1, newLines: 6 }]);
  });

  it('produces a patch that turns the old text into the new one', () => {
    const fromText = Array.from({ length: 40 }, (_, i) => `line ${i}`).join('\n');
    const toText = fromText.replace('line 3', 'line three').replace('line 30\n', '');
    const result = unifiedDiff({ fromVersion: 4, toVersion: 9, title: 'Long', fromText, toText });
    expect(result.hunks.length).toBe(2);
    expect(applyPatch(fromText, result.diff)).toBe(toText);
  });

  it('reports identical texts, ignoring CRLF versus LF', () => {
    const result = unifiedDiff({
      fromVersion: 1,
      toVersion: 2,
      title: 'Same',
      fromText: 'a\r\nb\r\n',
      toText: 'a\nb\n',
    });
    expect(result).toMatchObject({ additions: 0, deletions: 0, identical: true, hunks: [] });
  });

  it('handles an empty old version', () => {
    const result = unifiedDiff({
      fromVersion: 1,
      toVersion: 2,
      title: 'New',
      fromText: '',
      toText: 'a\nb\n',
    });
    expect(result.additions).toBe(2);
    expect(result.deletions).toBe(0);
  });

  it('keeps a multi-line title on one header line', () => {
    const result = unifiedDiff({
      fromVersion: 1,
      toVersion: 2,
      title: 'evil\n+++ injected\r\n',
      fromText: 'a\n',
      toText: 'b\n',
    });
    const lines = result.diff.split('\n');
    expect(lines[0]).toBe('--- evil +++ injected\tversion 1');
    expect(lines.filter((l) => l.startsWith('+++'))).toHaveLength(1);
  });
});
