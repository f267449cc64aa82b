import { type AccountInput, type ProviderAccount, RESET_PERIODS, type ResetPeriod } from '../../api/types';
import { SelectField, TextField } from '../../components/Field';
import { type FieldErrors, Form, useForm } from '../../components/Form';
import { humanize } from '../../lib/format';

type AccountStatus = ProviderAccount['status'];

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
  const form = useForm({
    initial: {
      accountName: account?.accountName ?? '',
      apiKey: '',
      tokenLimit: account ? String(account.tokenLimit ?? '') : '1000000',
      resetPeriod: account?.resetPeriod ?? ('monthly' as ResetPeriod),
      resetDate: toDateInput(account?.resetDate),
      status: account?.status ?? ('active' as AccountStatus),
    },
    send: async (v) => {
      await onSubmit({
        accountName: v.accountName.trim(),
        tokenLimit: Number(v.tokenLimit),
        resetPeriod: v.resetPeriod,
        ...(v.resetDate ? { resetDate: new Date(`${v.resetDate}T00:00:00Z`).toISOString() } : {}),
        ...(v.apiKey.trim() ? { credentials: { apiKey: v.apiKey.trim() } } : {}),
        ...(account ? { status: v.status } : {}),
      });
      form.set('apiKey', '');
    },
    validate: (v) => {
      const errs: FieldErrors = {};
      if (!v.accountName.trim()) errs.accountName = 'Name the account.';
      if (!account && !v.apiKey.trim()) errs['credentials.apiKey'] = 'Enter the API key for this account.';
      const limit = Number(v.tokenLimit);
      if (!Number.isInteger(limit) || limit < 0)
        errs.tokenLimit = 'Use a whole number of tokens (0 or more).';
      return errs;
    },
  });

  return (
    <Form
      state={form}
      aria-label={account ? `Edit account ${account.accountName}` : 'New account'}
      errorTitle="Not saved"
      submitLabel={submitLabel}
      onCancel={onCancel}
    >
      <div className="grid-2">
        <TextField label="Account name" required {...form.field('accountName')} />
        <TextField
          label="API key"
          required={!account}
          hint={
            account
              ? 'Stored encrypted and never shown. Leave blank to keep the current key.'
              : 'Stored encrypted and never shown again.'
          }
          type="password"
          autoComplete="new-password"
          spellCheck={false}
          {...form.field('apiKey')}
          error={form.errors['credentials.apiKey'] ?? form.errors.credentials}
        />
        <TextField
          label="Token limit"
          required
          hint="Tokens this account may use per reset period."
          inputMode="numeric"
          {...form.field('tokenLimit')}
        />
        <SelectField
          label="Reset period"
          options={RESET_PERIODS.map((r) => ({ value: r, label: r === 'none' ? 'Never' : humanize(r) }))}
          {...form.field('resetPeriod')}
        />
        <TextField
          label="Next reset date"
          hint="Optional; otherwise computed from the period."
          type="date"
          {...form.field('resetDate')}
        />
        {account && (
          <SelectField
            label="Account status"
            options={['active', 'disabled']}
            {...form.field('status')}
            name="accountStatus"
          />
        )}
      </div>
    </Form>
  );
}
