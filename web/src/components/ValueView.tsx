import { formatScalar, humanize } from '../lib/format';

/**
 * Any JSON value as readable markup (definition lists and lists), so structured data such as
 * content provenance or audit details is never shown as raw JSON.
 */
export function ValueView({ value, depth = 0 }: { value: unknown; depth?: number }) {
  if (value === null || value === undefined || typeof value !== 'object') return <>{formatScalar(value)}</>;
  if (depth > 4) return <span className="muted">…</span>;
  if (Array.isArray(value)) {
    if (value.length === 0) return <span className="muted">none</span>;
    if (value.every((v) => v === null || typeof v !== 'object'))
      return <>{value.map(formatScalar).join(', ')}</>;
    return (
      <ol className="value-list">
        {value.map((v, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: positional data
          <li key={i}>
            <ValueView value={v} depth={depth + 1} />
          </li>
        ))}
      </ol>
    );
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return <span className="muted">none</span>;
  return (
    <dl className="kv">
      {entries.map(([k, v]) => (
        <div key={k}>
          <dt>{humanize(k)}</dt>
          <dd>
            <ValueView value={v} depth={depth + 1} />
          </dd>
        </div>
      ))}
    </dl>
  );
}
