import type { ReactNode } from 'react';
import { isApiError, messageOf } from '../api/errors';

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
};

/** A coloured pill with the status written out (colour is never the only cue). */
export function StatusBadge({ status, label }: { status: string; label?: string }) {
  const text = label ?? STATUS_LABELS[status] ?? status.replace(/_/g, ' ');
  return <span className={`badge badge-${status}`}>{text}</span>;
}
