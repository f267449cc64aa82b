import { type FormEvent, useState } from 'react';
import { fieldErrors } from '../../api/errors';
import { type AccountInput, type ProviderAccount, RESET_PERIODS, type ResetPeriod } from '../../api/types';
import { Field } from '../../components/Field';
import { ErrorMessage } from '../../components/Status';
import { humanize } from '../../lib/format';

/** yyyy-mm-dd for a date input, from an ISO timestamp. */
function toDateInput(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString().slice(0, 10);
}

/**
 * Create or edit a provider account. Credentials are write-only: the API key field starts empty,
 * and on edit an empty field means "keep the stored key".
 */
export function AccountForm({
  account,
  onSubmit,
  onCancel,
  submitLabel,
}: {
  account?: ProviderAccount;
  onSubmit: (input: AccountInput) => Promise<unknown>;
  onCancel?: () => void;
  submitLabel: string;
}) {
  const [accountName, setAccountName] = useState(account?.accountName ?? '');
  const [apiKey, setApiKey] = useState('');
  const [tokenLimit, setTokenLimit] = useState(account ? String(account.tokenLimit) : '1000000');
  const [resetPeriod, setResetPeriod] = useState<ResetPeriod>(account?.resetPeriod ?? 'monthly');
  const [resetDate, setResetDate] = useState(toDateInput(account?.resetDate));
  const [status, setStatus] = useState(account?.status ?? 'active');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [local, setLocal] = useState<Record<string, string>>({});

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (!accountName.trim()) errs.accountName = 'Name the account.';
    if (!account && !apiKey.trim()) errs['credentials.apiKey'] = 'Enter the API key for this account.';
    const limit = Number(tokenLimit);
    if (!Number.isInteger(limit) || limit < 0) errs.tokenLimit = 'Use a whole number of tokens (0 or more).';
    setLocal(errs);
    if (Object.keys(errs).length) return;
    const input: AccountInput = {
      accountName: accountName.trim(),
      tokenLimit: limit,
      resetPeriod,
      ...(resetDate ? { resetDate: new Date(`${resetDate}T00:00:00Z`).toISOString() } : {}),
      ...(apiKey.trim() ? { credentials: { apiKey: apiKey.trim() } } : {}),
      ...(account ? { status } : {}),
    };
    setPending(true);
    setError(null);
    try {
      await onSubmit(input);
      setApiKey('');
    } catch (err) {
      setError(err);
    } finally {
      setPending(false);
    }
  };

  const errs = { ...fieldErrors(error), ...local };
  return (
    <form
      className="stack"
      onSubmit={submit}
      noValidate
      aria-label={account ? `Edit account ${account.accountName}` : 'New account'}
    >
      {error !== null && <ErrorMessage error={error} title="Not saved" />}
      <div className="grid-2">
        <Field label="Account name" required error={errs.accountName}>
          {(p) => (
            <input
              {...p}
              className="input"
              name="accountName"
              value={accountName}
              onChange={(e) => setAccountName(e.target.value)}
            />
          )}
        </Field>
        <Field
          label="API key"
          required={!account}
          error={errs['credentials.apiKey'] ?? errs.credentials}
          hint={
            account
              ? 'Stored encrypted and never shown. Leave blank to keep the current key.'
              : 'Stored encrypted and never shown again.'
          }
        >
          {(p) => (
            <input
              {...p}
              className="input"
              type="password"
              name="apiKey"
              autoComplete="new-password"
              spellCheck={false}
              value={apiKey}
              onChange={(e) => setApiKey(e.target.value)}
            />
          )}
        </Field>
        <Field
          label="Token limit"
          required
          error={errs.tokenLimit}
          hint="Tokens this account may use per reset period."
        >
          {(p) => (
            <input
              {...p}
              className="input"
              inputMode="numeric"
              name="tokenLimit"
              value={tokenLimit}
              onChange={(e) => setTokenLimit(e.target.value)}
            />
          )}
        </Field>
        <Field label="Reset period" error={errs.resetPeriod}>
          {(p) => (
            <select
              {...p}
              className="input"
              name="resetPeriod"
              value={resetPeriod}
              onChange={(e) => setResetPeriod(e.target.value as ResetPeriod)}
            >
              {RESET_PERIODS.map((r) => (
                <option key={r} value={r}>
                  {r === 'none' ? 'Never' : humanize(r)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field
          label="Next reset date"
          error={errs.resetDate}
          hint="Optional; otherwise computed from the period."
        >
          {(p) => (
            <input
              {...p}
              className="input"
              type="date"
              name="resetDate"
              value={resetDate}
              onChange={(e) => setResetDate(e.target.value)}
            />
          )}
        </Field>
        {account && (
          <Field label="Account status" error={errs.status}>
            {(p) => (
              <select
                {...p}
                className="input"
                name="accountStatus"
                value={status}
                onChange={(e) => setStatus(e.target.value as 'active' | 'disabled')}
              >
                <option value="active">Active</option>
                <option value="disabled">Disabled</option>
              </select>
            )}
          </Field>
        )}
      </div>
      <div className="row">
        <button type="submit" className="btn btn-primary" disabled={pending}>
          {pending ? 'Saving…' : submitLabel}
        </button>
        {onCancel && (
          <button type="button" className="btn btn-ghost" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
