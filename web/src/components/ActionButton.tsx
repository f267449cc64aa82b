/** A button that runs an action (a useAction) and says so while it runs. */
export function ActionButton({
  action,
  label,
  pendingLabel,
  className = 'btn',
}: {
  action: { run: () => unknown; pending: boolean };
  label: string;
  /** Shown while it runs (default: the label). */
  pendingLabel?: string;
  className?: string;
}) {
  return (
    <button type="button" className={className} onClick={() => action.run()} disabled={action.pending}>
      {action.pending ? (pendingLabel ?? label) : label}
    </button>
  );
}
