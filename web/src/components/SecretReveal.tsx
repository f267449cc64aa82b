import { CopyButton } from './CopyButton';

/** A secret shown exactly once, with a copy button and a warning. */
export function SecretReveal({
  label,
  value,
  testId,
  note = 'Copy it now: it will not be shown again.',
}: {
  label: string;
  value: string;
  testId?: string;
  note?: string;
}) {
  return (
    <div className="secret">
      <p className="secret-label">{label}</p>
      <div className="secret-row">
        <code className="secret-value" data-testid={testId}>
          {value}
        </code>
        <CopyButton text={value} accessibleName={`Copy ${label.toLowerCase()}`} />
      </div>
      <p className="hint">{note}</p>
    </div>
  );
}
