import {
  BUDGET_ACTIONS,
  BUDGET_PERIODS,
  BUDGET_SCOPES,
  type BudgetAction,
  type BudgetPeriod,
  type BudgetScope,
  type CreateBudgetInput,
  type SpendBudget,
  type UpdateBudgetInput,
} from '../../api/types';
import { SelectField, TextField } from '../../components/Field';
import { type FieldErrors, Form, useForm } from '../../components/Form';
import { humanize } from '../../lib/format';
import { microsToDollarString, parseDollars } from '../../lib/money';
import { ScopePicker } from './ScopePicker';

const ACTION_LABELS: Record<BudgetAction, string> = {
  block: 'Block: refuse tasks over the limit',
  approve: 'Approve: hold them for approval',
  notify: 'Notify only',
};

export interface BudgetFormValues extends Record<string, string> {
  name: string;
  scope: BudgetScope;
  scopeId: string;
  limitDollars: string;
  limitTokens: string;
  period: BudgetPeriod;
  timeZone: string;
  alertThresholds: string;
  action: BudgetAction;
}

function initialValues(b: SpendBudget | undefined, teamId: string | null): BudgetFormValues {
  return {
    name: b?.name ?? '',
    scope: b?.scope ?? 'team',
    scopeId: b?.scopeId ?? teamId ?? '',
    limitDollars: b?.limitMicros == null ? '' : microsToDollarString(b.limitMicros),
    limitTokens: b?.limitTokens == null ? '' : String(b.limitTokens),
    period: b?.period ?? 'monthly',
    timeZone: b?.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC',
    alertThresholds: (b?.alertThresholds ?? [50, 80, 100]).join(', '),
    action: b?.action ?? 'block',
  };
}

/** "50, 80,100" → [50, 80, 100]; null when something is not a whole percentage. */
export function parseThresholds(s: string): number[] | null {
  const parts = s
    .split(/[,\s]+/)
    .map((p) => p.replace(/%$/, ''))
    .filter(Boolean);
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d+$/.test(p)) return null;
    const n = Number(p);
    if (n < 1 || n > 1000) return null;
    out.push(n);
  }
  return out.length > 10 ? null : [...new Set(out)].sort((a, b) => a - b);
}

function validate(v: BudgetFormValues): FieldErrors {
  const errs: FieldErrors = {};
  if (!v.scopeId.trim()) errs.scopeId = 'Choose what the budget applies to.';
  if (v.limitDollars.trim()) {
    const p = parseDollars(v.limitDollars);
    if (!p.ok) errs.limitDollars = p.error;
  }
  if (v.limitTokens.trim() && !/^\d+$/.test(v.limitTokens.trim().replace(/[,_\s]/g, '')))
    errs.limitTokens = 'Use a whole number of tokens.';
  if (!v.limitDollars.trim() && !v.limitTokens.trim() && v.action !== 'notify')
    errs.limitDollars = 'Set a limit in dollars or tokens (or choose "Notify only").';
  if (!v.timeZone.trim()) errs.timeZone = 'Give an IANA time zone such as Europe/Paris or UTC.';
  if (parseThresholds(v.alertThresholds) === null)
    errs.alertThresholds = 'Whole percentages from 1 to 1000, separated by commas (at most 10).';
  return errs;
}

/** The full body of a new budget. Money goes through the decimal string: exact micro-dollars. */
export function createBody(v: BudgetFormValues): CreateBudgetInput {
  const limit = parseDollars(v.limitDollars);
  return {
    scope: v.scope,
    scopeId: v.scopeId.trim(),
    name: v.name.trim() || null,
    limitMicros: v.limitDollars.trim() && limit.ok ? limit.micros : null,
    limitTokens: v.limitTokens.trim() ? Number(v.limitTokens.trim().replace(/[,_\s]/g, '')) : null,
    period: v.period,
    timeZone: v.timeZone.trim(),
    alertThresholds: parseThresholds(v.alertThresholds) ?? [],
    action: v.action,
  };
}

/**
 * Only what changed: the API starts a fresh period (spent back to 0) whenever `period` or `timeZone`
 * is sent, so an edit of the limit must not send them.
 */
export function updateBody(before: SpendBudget, v: BudgetFormValues): UpdateBudgetInput {
  const next = createBody(v);
  const out: UpdateBudgetInput = {};
  if (next.name !== (before.name ?? null)) out.name = next.name;
  if (next.limitMicros !== before.limitMicros) out.limitMicros = next.limitMicros;
  if (next.limitTokens !== before.limitTokens) out.limitTokens = next.limitTokens;
  if (next.period !== before.period) out.period = next.period;
  if (next.timeZone !== before.timeZone) out.timeZone = next.timeZone;
  if (next.action !== before.action) out.action = next.action;
  if (next.alertThresholds?.join(',') !== before.alertThresholds.join(','))
    out.alertThresholds = next.alertThresholds;
  return out;
}

/** API field names → the form's (the money limit is entered in dollars). */
function formErrors(errors: FieldErrors): FieldErrors {
  const out = { ...errors };
  if (out.limitMicros && !out.limitDollars) out.limitDollars = out.limitMicros;
  return out;
}

/** Create a budget, or edit one (scope and target are fixed once created). */
export function BudgetEditor({
  budget,
  isAdmin,
  teamId,
  onSubmit,
  onCancel,
}: {
  budget?: SpendBudget;
  isAdmin: boolean;
  /** The team in the switcher: the default target of a new team budget. */
  teamId: string | null;
  onSubmit: (body: CreateBudgetInput | UpdateBudgetInput) => Promise<unknown>;
  onCancel?: () => void;
}) {
  const form = useForm<BudgetFormValues>({
    initial: initialValues(budget, teamId),
    validate,
    send: async (v) => {
      if (!budget) return onSubmit(createBody(v));
      const body = updateBody(budget, v);
      if (Object.keys(body).length === 0) return undefined;
      return onSubmit(body);
    },
  });
  const errors = formErrors(form.errors);
  const field = <K extends keyof BudgetFormValues & string>(k: K) => ({ ...form.field(k), error: errors[k] });
  const periodChanged =
    budget && (form.values.period !== budget.period || form.values.timeZone !== budget.timeZone);

  return (
    <Form
      state={form}
      aria-label={budget ? `Edit budget ${budget.name ?? ''}`.trim() : 'New budget'}
      errorTitle="Budget not saved"
      submitLabel={budget ? 'Save budget' : 'Create budget'}
      onCancel={onCancel}
    >
      <div className="grid-2">
        <TextField label="Name" hint="Optional, shown in alerts." {...field('name')} />
        {budget ? (
          <TextField
            label="Applies to"
            value={`${humanize(budget.scope)} ${budget.scopeId}`}
            onChange={() => {}}
            readOnly
          />
        ) : (
          <>
            <SelectField
              label="Scope"
              options={BUDGET_SCOPES.filter((s) => isAdmin || s !== 'user').map((s) => ({
                value: s,
                label: humanize(s),
              }))}
              {...field('scope')}
              onChange={(s) => form.setValues((p) => ({ ...p, scope: s as BudgetScope, scopeId: '' }))}
            />
            <ScopePicker
              scope={form.values.scope}
              isAdmin={isAdmin}
              value={form.values.scopeId}
              onChange={(v) => form.set('scopeId', v)}
              error={errors.scopeId}
            />
          </>
        )}
        <TextField
          label="Limit (USD)"
          hint="Dollars, up to 6 decimals; empty for no money limit."
          inputMode="decimal"
          {...field('limitDollars')}
        />
        <TextField
          label="Token limit"
          hint="Empty for no token limit."
          inputMode="numeric"
          {...field('limitTokens')}
        />
        <SelectField
          label="Period"
          options={BUDGET_PERIODS.map((p) => ({
            value: p,
            label: p === 'total' ? 'Total (never resets)' : humanize(p),
          }))}
          {...field('period')}
        />
        <TextField
          label="Time zone"
          hint="Where the calendar periods start, e.g. Europe/Paris."
          spellCheck={false}
          {...field('timeZone')}
        />
        <TextField
          label="Alert thresholds (%)"
          hint="Alerts when spend crosses these percentages of the limit."
          {...field('alertThresholds')}
        />
        <SelectField
          label="When exceeded"
          options={BUDGET_ACTIONS.map((a) => ({ value: a, label: ACTION_LABELS[a] }))}
          {...field('action')}
        />
      </div>
      {periodChanged && (
        <p className="hint" role="note">
          Changing the period or time zone starts a fresh period: spent goes back to $0.
        </p>
      )}
    </Form>
  );
}
