import { type InputHTMLAttributes, type ReactNode, type TextareaHTMLAttributes, useId } from 'react';
import { humanize } from '../lib/format';

export interface FieldControlProps {
  id: string;
  'aria-describedby'?: string;
  'aria-invalid'?: true;
}

/**
 * A labelled form control with an optional hint and error, wired together with
 * aria-describedby / aria-invalid. The control is rendered by the child function.
 */
export function Field({
  label,
  hint,
  error,
  required,
  children,
  className,
}: {
  label: ReactNode;
  hint?: ReactNode;
  error?: string | null;
  required?: boolean;
  children: (props: FieldControlProps) => ReactNode;
  className?: string;
}) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${className ? ` ${className}` : ''}`}>
      <label htmlFor={id}>
        {label}
        {required && (
          <span className="required" aria-hidden="true">
            {' '}
            *
          </span>
        )}
      </label>
      {children({ id, 'aria-describedby': describedBy, 'aria-invalid': error ? true : undefined })}
      {hint && (
        <p className="hint" id={hintId}>
          {hint}
        </p>
      )}
      {error && (
        <p className="field-error" id={errorId}>
          {error}
        </p>
      )}
    </div>
  );
}

/** Common props of the labelled controls below. */
interface Labelled {
  label: ReactNode;
  hint?: ReactNode;
  error?: string | null;
  required?: boolean;
  className?: string;
}

/** A choice of a select: a plain string is shown humanized; otherwise give the label. */
export type Choice = string | { value: string | number; label: ReactNode };

/** The <option>s of a select, with an optional first "no choice" option (value ''). */
export function Options({ options, emptyOption }: { options: readonly Choice[]; emptyOption?: ReactNode }) {
  return (
    <>
      {emptyOption !== undefined && <option value="">{emptyOption}</option>}
      {options.map((o) =>
        typeof o === 'string' ? (
          <option key={o} value={o}>
            {humanize(o)}
          </option>
        ) : (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ),
      )}
    </>
  );
}

type InputProps = Omit<InputHTMLAttributes<HTMLInputElement>, 'onChange' | 'value' | 'className' | 'id'> & {
  value: string;
  onChange: (value: string) => void;
};

/** A labelled text input (or any single-line input type). */
export function TextField({
  label,
  hint,
  error,
  required,
  className,
  onChange,
  ...input
}: Labelled & InputProps) {
  return (
    <Field label={label} hint={hint} error={error} required={required} className={className}>
      {(p) => (
        <input
          {...p}
          {...input}
          required={required}
          className="input"
          onChange={(e) => onChange(e.target.value)}
        />
      )}
    </Field>
  );
}

/** A labelled multi-line text area. */
export function TextAreaField({
  label,
  hint,
  error,
  required,
  className,
  mono,
  onChange,
  ...area
}: Labelled &
  Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, 'onChange' | 'value' | 'className' | 'id'> & {
    value: string;
    onChange: (value: string) => void;
    mono?: boolean;
  }) {
  return (
    <Field label={label} hint={hint} error={error} required={required} className={className}>
      {(p) => (
        <textarea
          {...p}
          {...area}
          required={required}
          className={mono ? 'input mono' : 'input'}
          onChange={(e) => onChange(e.target.value)}
        />
      )}
    </Field>
  );
}

interface SelectProps<V extends string> {
  value: V | number;
  onChange: (value: V) => void;
  options: readonly Choice[];
  emptyOption?: ReactNode;
  name?: string;
}

/** A labelled select. */
export function SelectField<V extends string = string>({
  label,
  hint,
  error,
  required,
  className,
  value,
  onChange,
  options,
  emptyOption,
  name,
}: Labelled & SelectProps<V>) {
  return (
    <Field label={label} hint={hint} error={error} required={required} className={className}>
      {(p) => (
        <select
          {...p}
          className="input"
          name={name}
          value={value}
          onChange={(e) => onChange(e.target.value as V)}
        >
          <Options options={options} emptyOption={emptyOption} />
        </select>
      )}
    </Field>
  );
}

/** A compact select for toolbars: the label wraps the control. */
export function InlineSelect<V extends string = string>({
  label,
  value,
  onChange,
  options,
  emptyOption,
  name,
}: { label: ReactNode } & SelectProps<V>) {
  return (
    <label className="inline-field">
      <span>{label}</span>
      <select className="input" name={name} value={value} onChange={(e) => onChange(e.target.value as V)}>
        <Options options={options} emptyOption={emptyOption} />
      </select>
    </label>
  );
}

/** A compact input for toolbars (search boxes, filters): the label wraps the control. */
export function InlineInput({
  label,
  grow,
  onChange,
  ...input
}: { label: ReactNode; grow?: boolean } & InputProps) {
  return (
    <label className={grow ? 'inline-field grow' : 'inline-field'}>
      <span>{label}</span>
      <input {...input} className="input" onChange={(e) => onChange(e.target.value)} />
    </label>
  );
}

/** A radio button or checkbox with its label (and any hint) beside it. */
export function ChoiceField({
  children,
  onChange,
  ...input
}: {
  type: 'radio' | 'checkbox';
  name: string;
  value?: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
  children: ReactNode;
}) {
  return (
    <label className="choice">
      <input {...input} onChange={(e) => onChange(e.target.checked)} />
      <span>{children}</span>
    </label>
  );
}
