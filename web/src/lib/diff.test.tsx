import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { DiffView } from '../components/DiffView';
import { computeDiff, diffSummary, normalizeDiff, parseUnifiedDiff } from './diff';

afterEach(cleanup);

const PATCH = `Index: content
===================================================================
--- v1
+++ v2
@@ -1,3 +1,4 @@
 # Title
-old line
+new line
+another line
 end
\\ No newline at end of file
`;

describe('unified diff parsing', () => {
  it('turns a patch into numbered lines and drops file headers', () => {
    const lines = parseUnifiedDiff(PATCH);
    expect(lines.map((l) => [l.kind, l.text, l.oldNo, l.newNo])).toEqual([
      ['hunk', '@@ -1,3 +1,4 @@', undefined, undefined],
      ['context', '# Title', 1, 1],
      ['del', 'old line', 2, undefined],
      ['add', 'new line', undefined, 2],
      ['add', 'another line', undefined, 3],
      ['context', 'end', 3, 4],
    ]);
    expect(diffSummary(lines)).toEqual({ added: 2, removed: 1 });
  });

  it('treats "---" inside a hunk as a removed line, not a header', () => {
    const lines = parseUnifiedDiff('@@ -1,2 +1,1 @@\n--- a horizontal rule\n keep\n');
    expect(lines[1]).toMatchObject({ kind: 'del', text: '-- a horizontal rule', oldNo: 1 });
    expect(lines[2]).toMatchObject({ kind: 'context', text: 'keep' });
  });

  it('accepts the shapes a server might send', () => {
    const expected = parseUnifiedDiff(PATCH)
      .filter((l) => l.kind !== 'hunk')
      .map((l) => [l.kind, l.text]);
    const strip = (ls: ReturnType<typeof parseUnifiedDiff> | null) =>
      (ls ?? []).filter((l) => l.kind !== 'hunk').map((l) => [l.kind, l.text]);
    expect(strip(normalizeDiff(PATCH))).toEqual(expected);
    expect(strip(normalizeDiff({ from: 1, to: 2, diff: PATCH }))).toEqual(expected);
    expect(strip(normalizeDiff({ patch: PATCH }))).toEqual(expected);
    expect(
      strip(
        normalizeDiff({
          hunks: [
            {
              oldStart: 1,
              oldLines: 3,
              newStart: 1,
              newLines: 4,
              lines: [' # Title', '-old line', '+new line', '+another line', ' end'],
            },
          ],
        }),
      ),
    ).toEqual(expected);
    expect(
      strip(
        normalizeDiff({
          changes: [
            { value: '# Title\n' },
            { value: 'old line\n', removed: true },
            { value: 'new line\nanother line\n', added: true },
            { value: 'end' },
          ],
        }),
      ),
    ).toEqual(expected);
    expect(
      strip(
        normalizeDiff({
          lines: [
            { type: 'context', text: '# Title' },
            { type: 'removed', text: 'old line' },
            { type: 'added', text: 'new line' },
            { type: 'add', value: 'another line' },
            { type: 'context', content: 'end' },
          ],
        }),
      ),
    ).toEqual(expected);
    expect(normalizeDiff({ something: 'else' })).toBeNull();
    expect(normalizeDiff(42)).toBeNull();
  });

  it('computes a diff locally when needed', () => {
    const lines = computeDiff('a\nb\nc\n', 'a\nB\nc\n');
    expect(lines.filter((l) => l.kind === 'del').map((l) => l.text)).toEqual(['b']);
    expect(lines.filter((l) => l.kind === 'add').map((l) => l.text)).toEqual(['B']);
  });
});

describe('<DiffView>', () => {
  it('renders +/- lines with their styling and spoken labels', () => {
    render(<DiffView lines={parseUnifiedDiff(PATCH)} caption="Changes from version 1 to version 2" />);
    const table = screen.getByTestId('diff');
    const adds = table.querySelectorAll('tr.diff-add');
    const dels = table.querySelectorAll('tr.diff-del');
    expect(adds).toHaveLength(2);
    expect(dels).toHaveLength(1);
    expect(adds[0].textContent).toContain('+');
    expect(adds[0].textContent).toContain('added: new line');
    expect(dels[0].textContent).toContain('-');
    expect(dels[0].textContent).toContain('removed: old line');
    expect(screen.getByText('+2')).toBeTruthy();
    expect(screen.getByText('Changes from version 1 to version 2')).toBeTruthy();
  });

  it('says so when nothing changed', () => {
    render(<DiffView lines={parseUnifiedDiff('@@ -1,1 +1,1 @@\n same\n')} caption="c" />);
    expect(screen.getByText('These two versions have the same text.')).toBeTruthy();
  });
});
