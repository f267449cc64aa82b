import type { ReactNode } from 'react';
import { isApiError, messageOf } from '../api/errors';
import { formatDateTime, formatRelative } from '../lib/format';

/** A polite loading line with a spinner; screen readers hear the label once. */
export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}

/** An error the user can read (never a raw body), with an optional retry. */
export function ErrorMessage({
  error,
  onRetry,
  title,
}: {
  error: unknown;
  onRetry?: () => void;
  title?: string;
}) {
  const requestId = isApiError(error) ? error.requestId : undefined;
  return (
    <div className="alert alert-error" role="alert">
      {title && <p className="alert-title">{title}</p>}
      <p>{messageOf(error)}</p>
      {requestId && <p className="muted small">Reference: {requestId}</p>}
      {onRetry && (
        <button type="button" className="btn btn-sm" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** A success or info message, announced politely. */
export function Notice({
  kind = 'success',
  children,
}: {
  kind?: 'success' | 'info' | 'warning';
  children: ReactNode;
}) {
  return (
    <div className={`alert alert-${kind}`} role="status">
      {children}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

const STATUS_LABELS: Record<string, string> = {
  half_open: 'half open',
  awaiting_approval: 'awaiting approval',
};

/** A coloured pill with the status written out (colour is never the only cue). */
export function StatusBadge({ status, label }: { status: string; label?: string }) {
  const text = label ?? STATUS_LABELS[status] ?? status.replace(/_/g, ' ');
  return <span className={`badge badge-${status}`}>{text}</span>;
}

/** "5 minutes ago", with the full date and time on hover and for machines. */
export function RelativeTime({ iso }: { iso: string }) {
  return (
    <time dateTime={iso} title={formatDateTime(iso)}>
      {formatRelative(iso)}
    </time>
  );
}

/**
 * A detail page whose object has not loaded: the spinner, or the error with a way back (no retry
 * for a 404, it would only fail again).
 */
export function NotLoaded({
  state,
  title,
  back,
}: {
  state: { loading: boolean; error: unknown; reload: () => void };
  /** What the page shows, as its heading ("Task"). */
  title: string;
  /** A link back to the list. */
  back: ReactNode;
}) {
  if (state.loading) return <Loading label={`Loading ${title.toLowerCase()}…`} />;
  if (!state.error) return null;
  const notFound = isApiError(state.error) && state.error.status === 404;
  return (
    <section className="stack">
      <h1>{title}</h1>
      <ErrorMessage error={state.error} onRetry={notFound ? undefined : () => state.reload()} />
      <p>{back}</p>
    </section>
  );
}
