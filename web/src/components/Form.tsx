import { type FormEvent, type ReactNode, useState } from 'react';
import { fieldErrors } from '../api/errors';
import { useAction } from '../lib/hooks';
import { ErrorMessage } from './Status';

export type FieldErrors = Record<string, string>;

/**
 * The state of a form: its values, the errors of its fields, and a submit that runs `validate`
 * (field → message) and calls `send` only when it finds nothing. `errors` merges the server's field
 * errors (details.fields of a validation_failed answer) with the local ones; `done` is true from a
 * successful send until the next submit. `field(key)` gives a field component its name, value,
 * onChange and error in one spread.
 */
export function useForm<V extends Record<string, string>>(opts: {
  initial: V;
  send: (values: V) => Promise<unknown>;
  validate?: (values: V) => FieldErrors;
  /** Called after every change of a value. */
  onEdit?: () => void;
}) {
  const [values, setValues] = useState<V>(opts.initial);
  const [local, setLocal] = useState<FieldErrors>({});
  const [done, setDone] = useState(false);
  const action = useAction(async (v: V) => {
    await opts.send(v);
    setDone(true);
  });
  const set = <K extends keyof V>(key: K, value: V[K]) => {
    setValues((prev) => ({ ...prev, [key]: value }));
    opts.onEdit?.();
  };
  const errors: FieldErrors = { ...fieldErrors(action.error), ...local };
  return {
    values,
    set,
    setValues,
    errors,
    done,
    pending: action.pending,
    error: action.error,
    submit() {
      const errs = opts.validate?.(values) ?? {};
      setLocal(errs);
      setDone(false);
      if (Object.keys(errs).length === 0) action.run(values);
    },
    field<K extends keyof V & string>(key: K) {
      return { name: key, value: values[key], onChange: (v: V[K]) => set(key, v), error: errors[key] };
    },
  };
}

/** What <Form> reads of a useForm (or a useAction with a submit). */
export interface FormState {
  submit: () => void;
  error: unknown;
  pending: boolean;
}

/**
 * A form with the parts every portal form has: the error of the last attempt (role="alert") on top,
 * an optional notice, the fields, then the submit button (with its pending label) and an optional
 * Cancel. Validation is ours (noValidate), so messages are consistent and announced.
 */
export function Form({
  state,
  heading,
  errorTitle,
  notice,
  children,
  submitLabel,
  pendingLabel = 'Saving…',
  disabled = false,
  submitClassName = 'btn btn-primary',
  onCancel,
  actions,
  footer,
  className = 'stack',
  inline = false,
  ...aria
}: {
  state: FormState;
  /** Shown first, above the error. */
  heading?: ReactNode;
  errorTitle?: string;
  notice?: ReactNode;
  children: ReactNode;
  submitLabel: string;
  pendingLabel?: string;
  disabled?: boolean;
  submitClassName?: string;
  onCancel?: () => void;
  /** More buttons or text after Submit and Cancel. */
  actions?: ReactNode;
  /** Shown below the buttons. */
  footer?: ReactNode;
  className?: string;
  /** A toolbar form: the buttons sit in the same row as the fields (no wrapper). */
  inline?: boolean;
  'aria-label'?: string;
  'aria-labelledby'?: string;
}) {
  const { error, pending } = state;
  const handle = (e: FormEvent) => {
    e.preventDefault();
    state.submit();
  };
  const buttons = (
    <>
      <button type="submit" className={submitClassName} disabled={pending || disabled}>
        {pending ? pendingLabel : submitLabel}
      </button>
      {onCancel && (
        <button type="button" className="btn btn-ghost" onClick={onCancel}>
          Cancel
        </button>
      )}
      {actions}
    </>
  );
  return (
    <form className={className} onSubmit={handle} noValidate {...aria}>
      {heading}
      {error !== null && error !== undefined && <ErrorMessage error={error} title={errorTitle} />}
      {notice}
      {children}
      {inline ? buttons : <div className="row">{buttons}</div>}
      {footer}
    </form>
  );
}

/**
 * A search box in a toolbar, inside a <search> landmark. It keeps what is typed until Search; with
 * `clearable`, a Clear button shows while a search is active.
 */
export function SearchForm({
  label,
  placeholder,
  query,
  onSearch,
  clearable = false,
}: {
  label: string;
  placeholder: string;
  /** The active search. */
  query: string;
  onSearch: (text: string) => void;
  clearable?: boolean;
}) {
  const [draft, setDraft] = useState(query);
  const search = (e: FormEvent) => {
    e.preventDefault();
    onSearch(draft.trim());
  };
  const clear = () => {
    setDraft('');
    onSearch('');
  };
  return (
    <search aria-label={label}>
      <form className="toolbar" onSubmit={search}>
        <label className="inline-field grow">
          <span>Search</span>
          <input
            className="input"
            type="search"
            name="q"
            placeholder={placeholder}
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
          />
        </label>
        <button type="submit" className="btn">
          Search
        </button>
        {clearable && query && (
          <button type="button" className="btn btn-ghost" onClick={clear}>
            Clear
          </button>
        )}
      </form>
    </search>
  );
}
