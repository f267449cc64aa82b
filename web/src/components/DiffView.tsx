import type { DiffLine } from '../lib/diff';
import { diffSummary } from '../lib/diff';

const SIGN: Record<DiffLine['kind'], string> = { add: '+', del: '-', context: ' ', hunk: '' };
const SPOKEN: Record<DiffLine['kind'], string> = { add: 'added', del: 'removed', context: '', hunk: '' };

/**
 * A unified diff: one row per line with old/new line numbers, a +/- sign and colour. The sign and a
 * visually hidden "added"/"removed" carry the meaning, so colour is never the only cue.
 */
export function DiffView({ lines, caption }: { lines: DiffLine[]; caption: string }) {
  const { added, removed } = diffSummary(lines);
  if (!lines.some((l) => l.kind === 'add' || l.kind === 'del')) {
    return <p className="empty">These two versions have the same text.</p>;
  }
  return (
    <div className="diff-wrap">
      <p className="diff-summary">
        <span className="diff-count-add">+{added}</span> <span className="diff-count-del">−{removed}</span>{' '}
        <span className="muted">
          ({added} line{added === 1 ? '' : 's'} added, {removed} removed)
        </span>
      </p>
      <div className="table-wrap">
        <table className="diff" data-testid="diff">
          <caption className="visually-hidden">{caption}</caption>
          <thead className="visually-hidden">
            <tr>
              <th scope="col">Old line</th>
              <th scope="col">New line</th>
              <th scope="col">Change</th>
            </tr>
          </thead>
          <tbody>
            {lines.map((l, i) =>
              l.kind === 'hunk' ? (
                // biome-ignore lint/suspicious/noArrayIndexKey: diff rows have no identity beyond position
                <tr key={i} className="diff-hunk">
                  <td colSpan={3}>{l.text}</td>
                </tr>
              ) : (
                // biome-ignore lint/suspicious/noArrayIndexKey: diff rows have no identity beyond position
                <tr key={i} className={`diff-line diff-${l.kind}`} data-kind={l.kind}>
                  <td className="diff-no">{l.oldNo ?? ''}</td>
                  <td className="diff-no">{l.newNo ?? ''}</td>
                  <td className="diff-text">
                    <span className="diff-sign" aria-hidden="true">
                      {SIGN[l.kind]}
                    </span>
                    {SPOKEN[l.kind] && <span className="visually-hidden">{SPOKEN[l.kind]}: </span>}
                    {l.text}
                  </td>
                </tr>
              ),
            )}
          </tbody>
        </table>
      </div>
    </div>
  );
}
