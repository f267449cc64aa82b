import { type FormEvent, useRef, useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { api } from '../api/client';
import { fieldErrors } from '../api/errors';
import { type CreateTaskInput, PRIORITIES, type Priority } from '../api/types';
import { Field } from '../components/Field';
import { PageHeader } from '../components/Layout';
import { ErrorMessage, Loading } from '../components/Status';
import { humanize } from '../lib/format';
import { useAsync, usePageTitle } from '../lib/hooks';

function newKey(): string {
  return globalThis.crypto?.randomUUID?.() ?? `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

export function NewTaskPage() {
  usePageTitle('New task');
  const navigate = useNavigate();
  const types = useAsync((s) => api.taskTypes(s), []);
  const providers = useAsync((s) => api.listProviders(s), []);
  const [form, setForm] = useState({
    taskType: '',
    priority: 'normal' as Priority,
    title: '',
    description: '',
    providerId: '',
    maxTokens: '',
    temperature: '',
    model: '',
  });
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [localErrors, setLocalErrors] = useState<Record<string, string>>({});
  // One Idempotency-Key per intended task: a double click or a retry after a network error
  // cannot create two tasks.
  const idempotencyKey = useRef(newKey());

  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => {
    setForm((f) => ({ ...f, [k]: e.target.value }));
    idempotencyKey.current = newKey(); // a changed form is a different task
  };
  const taskType = form.taskType || types.data?.items[0]?.id || '';
  const activeProviders = (providers.data?.items ?? []).filter((p) => p.status === 'active');
  const selectedType = types.data?.items.find((t) => t.id === taskType);

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (!form.description.trim()) errs.description = 'Describe what you want generated.';
    if (!taskType) errs.taskType = 'Choose a task type.';
    const maxTokens = form.maxTokens ? Number(form.maxTokens) : undefined;
    if (maxTokens !== undefined && (!Number.isInteger(maxTokens) || maxTokens <= 0))
      errs['options.maxTokens'] = 'Use a whole number above 0.';
    const temperature = form.temperature ? Number(form.temperature) : undefined;
    if (temperature !== undefined && (!Number.isFinite(temperature) || temperature < 0 || temperature > 2))
      errs['options.temperature'] = 'Use a number from 0 to 2.';
    setLocalErrors(errs);
    if (Object.keys(errs).length) return;

    const options: CreateTaskInput['options'] = {};
    if (maxTokens !== undefined) options.maxTokens = maxTokens;
    if (temperature !== undefined) options.temperature = temperature;
    if (form.model.trim()) options.model = form.model.trim();
    const input: CreateTaskInput = {
      description: form.description.trim(),
      taskType,
      priority: form.priority,
      ...(form.title.trim() ? { title: form.title.trim() } : {}),
      ...(form.providerId ? { providerId: form.providerId } : {}),
      ...(Object.keys(options).length ? { options } : {}),
    };
    setPending(true);
    setError(null);
    try {
      const task = await api.createTask(input, idempotencyKey.current);
      navigate(`/tasks/${task.id}`);
    } catch (err) {
      setError(err);
      setPending(false);
    }
  };

  const errs = { ...fieldErrors(error), ...localErrors };
  if (types.loading && !types.data) return <Loading label="Loading task types…" />;
  if (types.error && !types.data) return <ErrorMessage error={types.error} onRetry={() => types.reload()} />;

  return (
    <section className="stack narrow">
      <PageHeader title="New task" />
      <form className="card stack" onSubmit={onSubmit} noValidate>
        {error !== null && <ErrorMessage error={error} title="The task was not created" />}
        <div className="grid-2">
          <Field label="Task type" required error={errs.taskType} hint={selectedType?.description}>
            {(p) => (
              <select {...p} className="input" name="taskType" value={taskType} onChange={set('taskType')}>
                {types.data?.items.map((t) => (
                  <option key={t.id} value={t.id}>
                    {t.name || humanize(t.id)}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Priority" error={errs.priority}>
            {(p) => (
              <select
                {...p}
                className="input"
                name="priority"
                value={form.priority}
                onChange={set('priority')}
              >
                {PRIORITIES.map((pr) => (
                  <option key={pr} value={pr}>
                    {humanize(pr)}
                  </option>
                ))}
              </select>
            )}
          </Field>
        </div>
        <Field label="Title" hint="Optional. A short name to find it again." error={errs.title}>
          {(p) => (
            <input
              {...p}
              className="input"
              name="title"
              maxLength={200}
              value={form.title}
              onChange={set('title')}
            />
          )}
        </Field>
        <Field
          label="Prompt"
          required
          error={errs.description}
          hint="What should be generated? Be as specific as you like."
        >
          {(p) => (
            <textarea
              {...p}
              className="input"
              name="description"
              rows={8}
              value={form.description}
              onChange={set('description')}
            />
          )}
        </Field>
        <Field
          label="Provider"
          hint={
            providers.error
              ? 'Providers could not be loaded; the router will choose.'
              : 'Leave on automatic to let the router choose the best account.'
          }
          error={errs.providerId}
        >
          {(p) => (
            <select
              {...p}
              className="input"
              name="providerId"
              value={form.providerId}
              onChange={set('providerId')}
            >
              <option value="">Automatic (best match)</option>
              {activeProviders.map((pr) => (
                <option key={pr.id} value={pr.id}>
                  {pr.name} ({pr.kind})
                </option>
              ))}
            </select>
          )}
        </Field>
        <details className="disclosure">
          <summary>Advanced options</summary>
          <div className="grid-3">
            <Field label="Max tokens" error={errs['options.maxTokens']}>
              {(p) => (
                <input
                  {...p}
                  className="input"
                  inputMode="numeric"
                  name="maxTokens"
                  value={form.maxTokens}
                  onChange={set('maxTokens')}
                />
              )}
            </Field>
            <Field label="Temperature" hint="0 to 2" error={errs['options.temperature']}>
              {(p) => (
                <input
                  {...p}
                  className="input"
                  inputMode="decimal"
                  name="temperature"
                  value={form.temperature}
                  onChange={set('temperature')}
                />
              )}
            </Field>
            <Field label="Model" error={errs['options.model']}>
              {(p) => (
                <input {...p} className="input" name="model" value={form.model} onChange={set('model')} />
              )}
            </Field>
          </div>
        </details>
        <div className="row">
          <button type="submit" className="btn btn-primary" disabled={pending}>
            {pending ? 'Submitting…' : 'Submit task'}
          </button>
        </div>
      </form>
    </section>
  );
}
