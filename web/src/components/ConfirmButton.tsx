import { useEffect, useRef, useState } from 'react';

/**
 * A destructive action that asks inline before acting (no window.confirm: it blocks, cannot be
 * styled, and automated browsers dismiss it). The first press reveals "confirm" and "cancel".
 */
export function ConfirmButton({
  label,
  confirmLabel,
  question,
  onConfirm,
  pending,
  className = 'btn btn-sm btn-danger',
  accessibleName,
}: {
  label: string;
  confirmLabel?: string;
  question?: string;
  onConfirm: () => unknown;
  pending?: boolean;
  className?: string;
  /** A fuller name for screen readers when `label` is short, e.g. "Delete token ci-bot". */
  accessibleName?: string;
}) {
  const [asking, setAsking] = useState(false);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const triggerRef = useRef<HTMLButtonElement>(null);
  const wasAsking = useRef(false);

  useEffect(() => {
    if (asking) confirmRef.current?.focus();
    else if (wasAsking.current) triggerRef.current?.focus();
    wasAsking.current = asking;
  }, [asking]);

  if (!asking) {
    return (
      <button
        type="button"
        ref={triggerRef}
        className={className}
        onClick={() => setAsking(true)}
        disabled={pending}
        aria-label={accessibleName}
      >
        {pending ? `${label}…` : label}
      </button>
    );
  }
  return (
    // biome-ignore lint/a11y/useSemanticElements: a group of two buttons, not a form fieldset
    <span className="confirm" role="group" aria-label={question ?? `Confirm: ${accessibleName ?? label}`}>
      <span className="confirm-question">{question ?? 'Are you sure?'}</span>
      <button
        type="button"
        ref={confirmRef}
        className="btn btn-sm btn-danger"
        onClick={async () => {
          setAsking(false);
          await onConfirm();
        }}
      >
        {confirmLabel ?? `Yes, ${label.toLowerCase()}`}
      </button>
      <button
        type="button"
        className="btn btn-sm btn-ghost"
        onClick={() => setAsking(false)}
        onKeyDown={(e) => e.key === 'Escape' && setAsking(false)}
      >
        Cancel
      </button>
    </span>
  );
}
