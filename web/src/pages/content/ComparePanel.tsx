import { useState } from 'react';
import { api } from '../../api/client';
import type { ContentDetail } from '../../api/types';
import { DiffView } from '../../components/DiffView';
import { InlineSelect } from '../../components/Field';
import { Empty, ErrorMessage, Loading } from '../../components/Status';
import { computeDiff, type DiffLine, normalizeDiff } from '../../lib/diff';
import { useAsync } from '../../lib/hooks';

/** Ask the API for the diff; if its answer is in a shape we do not know, diff the two bodies here. */
async function loadDiff(
  contentId: string,
  from: number,
  to: number,
  signal: AbortSignal,
): Promise<DiffLine[]> {
  const body = await api.contentDiff(contentId, from, to, signal);
  const lines = normalizeDiff(body);
  if (lines) return lines;
  const [a, b] = await Promise.all([
    api.getContentVersion(contentId, from, signal),
    api.getContentVersion(contentId, to, signal),
  ]);
  return computeDiff(a.contentData, b.contentData);
}

export function ComparePanel({
  content,
  initialFrom,
  initialTo,
}: {
  content: ContentDetail;
  initialFrom: number | null;
  initialTo: number | null;
}) {
  const versions = [...(content.versions ?? [])].map((v) => v.version).sort((a, b) => a - b);
  const latest = content.version;
  const previous = versions.filter((v) => v < latest).pop() ?? latest;
  const [from, setFrom] = useState(initialFrom && versions.includes(initialFrom) ? initialFrom : previous);
  const [to, setTo] = useState(initialTo && versions.includes(initialTo) ? initialTo : latest);
  const enough = versions.length >= 2;
  const diff = useAsync(
    (s) => (enough && from !== to ? loadDiff(content.id, from, to, s) : Promise.resolve([])),
    [content.id, from, to, enough],
  );

  if (!enough)
    return (
      <Empty>
        There is only one version so far. Edit, restore or regenerate to create another, then compare them
        here.
      </Empty>
    );
  return (
    <div className="stack">
      <div className="toolbar">
        <InlineSelect
          label="From version"
          value={from}
          onChange={(v) => setFrom(Number(v))}
          options={versions.map((v) => ({ value: v, label: `v${v}` }))}
        />
        <InlineSelect
          label="To version"
          value={to}
          onChange={(v) => setTo(Number(v))}
          options={versions.map((v) => ({ value: v, label: v === latest ? `v${v} (current)` : `v${v}` }))}
        />
        <button
          type="button"
          className="btn btn-ghost btn-sm"
          onClick={() => {
            setFrom(to);
            setTo(from);
          }}
        >
          Swap
        </button>
      </div>
      {from === to ? (
        <Empty>Pick two different versions to compare.</Empty>
      ) : diff.loading ? (
        <Loading label="Comparing versions…" />
      ) : diff.error ? (
        <ErrorMessage error={diff.error} onRetry={() => diff.reload()} />
      ) : (
        <DiffView lines={diff.data ?? []} caption={`Changes from version ${from} to version ${to}`} />
      )}
    </div>
  );
}
