import { describe, expect, it } from 'vitest';
import { filenameFromDisposition } from '../api/contentDisposition';
import { safeNext } from '../auth/guards';
import { candidateRows, chainRows } from './routing';

describe('routing explanation rows', () => {
  it('reads candidates in the spellings a router might use', () => {
    const rows = candidateRows({
      candidates: [
        {
          providerName: 'OpenAI',
          accountName: 'main',
          selected: true,
          score: 0.8,
          scores: { competency: 0.9 },
        },
        { name: 'Claude', kept: false, dropReason: 'budget exhausted' },
        { providerId: 'p3', status: 'eligible', reasons: ['slower', 'pricier'] },
      ],
    });
    expect(rows.map((r) => [r.provider, r.decision, r.reason, r.score])).toEqual([
      ['OpenAI', 'chosen', null, 0.8],
      ['Claude', 'dropped', 'budget exhausted', null],
      ['p3', 'kept', 'slower; pricier', null],
    ]);
    expect(rows[0].factors).toEqual([['competency', 0.9]]);
  });

  it('accepts a chain of names or of attempt objects, and nothing at all', () => {
    expect(
      chainRows({ chain: ['a', { providerName: 'b', outcome: 'failed', error: '429' }] }).map((r) => [
        r.provider,
        r.outcome,
        r.error,
      ]),
    ).toEqual([
      ['a', null, null],
      ['b', 'failed', '429'],
    ]);
    expect(candidateRows(null)).toEqual([]);
    expect(chainRows({})).toEqual([]);
  });
});

describe('small guards', () => {
  it('only follows same-app paths after sign-in', () => {
    expect(safeNext('/content/1?tab=edit')).toBe('/content/1?tab=edit');
    expect(safeNext('https://evil.example')).toBe('/');
    expect(safeNext('//evil.example')).toBe('/');
    expect(safeNext('/\\evil.example')).toBe('/');
    expect(safeNext(null)).toBe('/');
  });

  it('takes a safe file name from Content-Disposition', () => {
    expect(filenameFromDisposition('attachment; filename="report.pdf"', 'x')).toBe('report.pdf');
    expect(filenameFromDisposition('attachment; filename=notes.md', 'x')).toBe('notes.md');
    expect(filenameFromDisposition('attachment; filename="../../etc/passwd"', 'x')).toBe('passwd');
    expect(filenameFromDisposition(null, 'content.md')).toBe('content.md');
  });
});
