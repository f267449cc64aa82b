import { useEffect, useRef, useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { api } from '../api/client';
import { type CreateTaskInput, PRIORITIES, type Priority, type TaskEstimate } from '../api/types';
import { SelectField, TextAreaField, TextField } from '../components/Field';
import { type FieldErrors, Form, useForm } from '../components/Form';
import { PageHeader } from '../components/Layout';
import { ErrorMessage, Loading } from '../components/Status';
import { readCurrentTeam } from '../lib/currentTeam';
import { humanize } from '../lib/format';
import { useAsync, usePageTitle } from '../lib/hooks';

/** Integer micro-dollars → "$0.0123" (at least two decimals, up to six). */
export function formatMicros(micros: number): string {
  const usd = micros / 1e6;
  if (micros === 0) return '$0.00';
  if (usd >= 1) return `$${usd.toFixed(2)}`;
  return `$${usd.toFixed(6).replace(/0{1,4}$/, '')}`;
}

/** How long the form must stay unchanged before its estimate is fetched. */
const ESTIMATE_DEBOUNCE_MS = 400;

function newKey(): string {
  return globalThis.crypto?.randomUUID?.() ?? `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

export function NewTaskPage() {
  usePageTitle('New task');
  const navigate = useNavigate();
  const types = useAsync((s) => api.taskTypes(s), []);
  const providers = useAsync((s) => api.listProviders(s), []);
  // One Idempotency-Key per intended task: a double click or a retry after a network error
  // cannot create two tasks; a changed form is a different task.
  const idempotencyKey = useRef(newKey());
  const [estimate, setEstimate] = useState<TaskEstimate | null>(null);
  // Above the confirm threshold, the user confirms the estimate before submitting (reset on each change).
  const [confirmed, setConfirmed] = useState(false);
  const toInput = (v: typeof form.values): CreateTaskInput => {
    const options: CreateTaskInput['options'] = {};
    if (v.maxTokens) options.maxTokens = Number(v.maxTokens);
    if (v.temperature) options.temperature = Number(v.temperature);
    if (v.model.trim()) options.model = v.model.trim();
    return {
      description: v.description.trim(),
      // One of the ids /api/task-types listed.
      taskType: taskType as CreateTaskInput['taskType'],
      priority: v.priority,
      ...(v.title.trim() ? { title: v.title.trim() } : {}),
      ...(v.providerId ? { providerId: v.providerId } : {}),
      ...(Object.keys(options).length ? { options } : {}),
      // New tasks belong to the team chosen in the switcher.
      ...(readCurrentTeam() ? { teamId: readCurrentTeam()! } : {}),
    };
  };
  const form = useForm({
    initial: {
      taskType: '',
      priority: 'normal' as Priority,
      title: '',
      description: '',
      providerId: '',
      maxTokens: '',
      temperature: '',
      model: '',
    },
    onEdit: () => {
      idempotencyKey.current = newKey();
      setConfirmed(false);
    },
    send: async (v) => {
      const task = await api.createTask(toInput(v), idempotencyKey.current);
      navigate(`/tasks/${task.id}`);
    },
    validate: (v) => {
      const errs: FieldErrors = {};
      if (!v.description.trim()) errs.description = 'Describe what you want generated.';
      if (!taskType) errs.taskType = 'Choose a task type.';
      const maxTokens = Number(v.maxTokens || '1');
      if (!Number.isInteger(maxTokens) || maxTokens <= 0)
        errs['options.maxTokens'] = 'Use a whole number above 0.';
      const temperature = Number(v.temperature || '0');
      if (!Number.isFinite(temperature) || temperature < 0 || temperature > 2)
        errs['options.temperature'] = 'Use a number from 0 to 2.';
      if (estimate?.exceedsThreshold && !confirmed)
        errs.confirmCost = 'This task may cost more than usual: confirm the estimate to submit it.';
      return errs;
    },
  });
  const taskType = form.values.taskType || types.data?.items[0]?.id || '';
  const activeProviders = (providers.data?.items ?? []).filter((p) => p.status === 'active');
  const selectedType = types.data?.items.find((t) => t.id === taskType);
  const errs = form.errors;

  // The estimate follows the form, fetched once it has been still for a moment; a failed estimate
  // just hides it (submitting still answers with the real refusal, if any).
  const v = form.values;
  const estimateKey = JSON.stringify([
    taskType,
    v.description.trim(),
    v.providerId,
    v.maxTokens,
    v.model,
    v.temperature,
  ]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: estimateKey stands for the values read below
  useEffect(() => {
    if (!taskType || !v.description.trim()) {
      setEstimate(null);
      return;
    }
    const maxTokens = Number(v.maxTokens || '1');
    const temperature = Number(v.temperature || '0');
    if (!Number.isInteger(maxTokens) || maxTokens <= 0 || !(temperature >= 0 && temperature <= 2)) return;
    const ac = new AbortController();
    const timer = setTimeout(() => {
      api
        .estimateTask(toInput(v), ac.signal)
        .then((e) => setEstimate(e))
        .catch(() => {
          if (!ac.signal.aborted) setEstimate(null);
        });
    }, ESTIMATE_DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      ac.abort();
    };
  }, [estimateKey]);
  const blocking = estimate?.budgets.filter((b) => b.wouldExceed) ?? [];

  if (types.loading && !types.data) return <Loading label="Loading task types…" />;
  if (types.error && !types.data) return <ErrorMessage error={types.error} onRetry={() => types.reload()} />;

  return (
    <section className="stack narrow">
      <PageHeader title="New task" />
      <Form
        state={form}
        className="card stack"
        errorTitle="The task was not created"
        submitLabel="Submit task"
        pendingLabel="Submitting…"
      >
        <div className="grid-2">
          <SelectField
            label="Task type"
            required
            hint={selectedType?.description}
            options={(types.data?.items ?? []).map((t) => ({ value: t.id, label: t.name || humanize(t.id) }))}
            {...form.field('taskType')}
            value={taskType}
          />
          <SelectField label="Priority" options={PRIORITIES} {...form.field('priority')} />
        </div>
        <TextField
          label="Title"
          hint="Optional. A short name to find it again."
          maxLength={200}
          {...form.field('title')}
        />
        <TextAreaField
          label="Prompt"
          required
          hint="What should be generated? Be as specific as you like."
          rows={8}
          {...form.field('description')}
        />
        <SelectField
          label="Provider"
          hint={
            providers.error
              ? 'Providers could not be loaded; the router will choose.'
              : 'Leave on automatic to let the router choose the best account.'
          }
          emptyOption="Automatic (best match)"
          options={activeProviders.map((pr) => ({ value: pr.id, label: `${pr.name} (${pr.kind})` }))}
          {...form.field('providerId')}
        />
        <details className="disclosure">
          <summary>Advanced options</summary>
          <div className="grid-3">
            <TextField
              label="Max tokens"
              inputMode="numeric"
              {...form.field('maxTokens')}
              error={errs['options.maxTokens']}
            />
            <TextField
              label="Temperature"
              hint="0 to 2"
              inputMode="decimal"
              {...form.field('temperature')}
              error={errs['options.temperature']}
            />
            <TextField label="Model" {...form.field('model')} error={errs['options.model']} />
          </div>
        </details>
        {estimate && (
          <div className="stack" aria-live="polite" data-testid="task-estimate">
            <p>
              Estimated cost:{' '}
              <strong>
                {estimate.estimatedCostMicros.min === estimate.estimatedCostMicros.max
                  ? formatMicros(estimate.estimatedCostMicros.max)
                  : `${formatMicros(estimate.estimatedCostMicros.min)} – ${formatMicros(estimate.estimatedCostMicros.max)}`}
              </strong>{' '}
              (up to {estimate.estimatedTokens.toLocaleString()} tokens)
            </p>
            {blocking.map((b) => (
              <p key={b.id} role="alert">
                This would exceed{' '}
                {b.name ? `the budget “${b.name}”` : `your ${humanize(b.scope).toLowerCase()} budget`}
                {b.remainingMicros !== null ? ` (${formatMicros(b.remainingMicros)} left)` : ''}: it will be
                refused.
              </p>
            ))}
            {estimate.exceedsThreshold && (
              <label>
                <input
                  type="checkbox"
                  name="confirmCost"
                  checked={confirmed}
                  onChange={(e) => setConfirmed(e.target.checked)}
                />{' '}
                I accept that this task may cost up to {formatMicros(estimate.estimatedCostMicros.max)} (above{' '}
                {formatMicros(estimate.thresholdMicros)}).
                {errs.confirmCost && (
                  <span className="field-error" role="alert">
                    {' '}
                    {errs.confirmCost}
                  </span>
                )}
              </label>
            )}
          </div>
        )}
      </Form>
    </section>
  );
}
