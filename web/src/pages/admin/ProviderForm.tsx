import { type FormEvent, useState } from 'react';
import { fieldErrors } from '../../api/errors';
import {
  PROVIDER_KINDS,
  type Provider,
  type ProviderInput,
  type ProviderKind,
  type ProviderTier,
  type TaskType,
} from '../../api/types';
import { Field } from '../../components/Field';
import { ErrorMessage } from '../../components/Status';
import { humanize } from '../../lib/format';

const KIND_LABELS: Record<ProviderKind, string> = {
  openai: 'OpenAI',
  anthropic: 'Anthropic',
  xai: 'xAI (Grok)',
  manus: 'Manus',
  openai_compatible: 'OpenAI-compatible',
  mock: 'Mock (testing)',
};

/** New providers start with a middling score for every task type so the router can use them at once. */
const DEFAULT_COMPETENCY = '0.5';

export function ProviderForm({
  provider,
  taskTypes,
  onSubmit,
  submitLabel,
  onCancel,
}: {
  provider?: Provider;
  taskTypes: TaskType[];
  onSubmit: (input: ProviderInput) => Promise<unknown>;
  submitLabel: string;
  onCancel?: () => void;
}) {
  const [name, setName] = useState(provider?.name ?? '');
  const [kind, setKind] = useState<ProviderKind>(provider?.kind ?? 'openai_compatible');
  const [apiEndpoint, setApiEndpoint] = useState(provider?.apiEndpoint ?? '');
  const [authType, setAuthType] = useState(provider?.authType ?? 'api_key');
  const [tier, setTier] = useState<ProviderTier>(provider?.tier ?? 'primary');
  const [models, setModels] = useState((provider?.models ?? []).join(', '));
  const typeIds = [...new Set([...taskTypes.map((t) => t.id), ...Object.keys(provider?.competencies ?? {})])];
  const [competencies, setCompetencies] = useState<Record<string, string>>(() =>
    Object.fromEntries(
      typeIds.map((id) => [
        id,
        provider
          ? provider.competencies[id] === undefined
            ? ''
            : String(provider.competencies[id])
          : DEFAULT_COMPETENCY,
      ]),
    ),
  );
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [local, setLocal] = useState<Record<string, string>>({});

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (!name.trim()) errs.name = 'Give the provider a name.';
    if (kind === 'openai_compatible' && !apiEndpoint.trim())
      errs.apiEndpoint = 'An OpenAI-compatible provider needs its endpoint URL.';
    if (apiEndpoint.trim()) {
      try {
        const u = new URL(apiEndpoint.trim());
        if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
      } catch {
        errs.apiEndpoint = 'Enter a full http(s) URL, such as https://api.example.com/v1.';
      }
    }
    const comp: Record<string, number> = {};
    for (const [id, v] of Object.entries(competencies)) {
      if (v.trim() === '') continue;
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0 || n > 1) errs[`competencies.${id}`] = 'Use a number from 0 to 1.';
      else comp[id] = n;
    }
    setLocal(errs);
    if (Object.keys(errs).length) return;
    setPending(true);
    setError(null);
    try {
      await onSubmit({
        name: name.trim(),
        kind,
        apiEndpoint: apiEndpoint.trim() || null,
        authType: authType.trim() || 'api_key',
        tier,
        models: models
          .split(/[,\n]/)
          .map((m) => m.trim())
          .filter(Boolean),
        competencies: comp,
      });
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
      aria-label={provider ? `Edit ${provider.name}` : 'New provider'}
    >
      {error !== null && <ErrorMessage error={error} title="Not saved" />}
      <div className="grid-2">
        <Field label="Name" required error={errs.name}>
          {(p) => (
            <input
              {...p}
              className="input"
              name="providerName"
              value={name}
              onChange={(e) => setName(e.target.value)}
            />
          )}
        </Field>
        <Field label="Kind" error={errs.kind}>
          {(p) => (
            <select
              {...p}
              className="input"
              name="kind"
              value={kind}
              onChange={(e) => setKind(e.target.value as ProviderKind)}
            >
              {PROVIDER_KINDS.map((k) => (
                <option key={k} value={k}>
                  {KIND_LABELS[k]}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field
          label="API endpoint"
          error={errs.apiEndpoint}
          hint="Base URL. Required for OpenAI-compatible; optional override for the others."
        >
          {(p) => (
            <input
              {...p}
              className="input"
              type="url"
              name="apiEndpoint"
              placeholder="https://api.example.com/v1"
              value={apiEndpoint}
              onChange={(e) => setApiEndpoint(e.target.value)}
            />
          )}
        </Field>
        <Field
          label="Tier"
          error={errs.tier}
          hint="Secondary providers are used only when no primary one can take a task."
        >
          {(p) => (
            <select
              {...p}
              className="input"
              name="tier"
              value={tier}
              onChange={(e) => setTier(e.target.value as ProviderTier)}
            >
              <option value="primary">Primary</option>
              <option value="secondary">Secondary</option>
            </select>
          )}
        </Field>
        <Field label="Models" error={errs.models} hint="Comma-separated; the first is the default.">
          {(p) => (
            <input
              {...p}
              className="input"
              name="models"
              value={models}
              onChange={(e) => setModels(e.target.value)}
            />
          )}
        </Field>
        <Field label="Auth type" error={errs.authType}>
          {(p) => (
            <input
              {...p}
              className="input"
              name="authType"
              value={authType}
              onChange={(e) => setAuthType(e.target.value)}
            />
          )}
        </Field>
      </div>
      <fieldset className="fieldset">
        <legend>Competencies (0 to 1; blank = never route this task type here)</legend>
        <div className="grid-3">
          {typeIds.map((id) => (
            <Field
              key={id}
              label={humanize(taskTypes.find((t) => t.id === id)?.name ?? id)}
              error={errs[`competencies.${id}`]}
            >
              {(p) => (
                <input
                  {...p}
                  className="input"
                  inputMode="decimal"
                  name={`competency-${id}`}
                  value={competencies[id] ?? ''}
                  onChange={(e) => setCompetencies((c) => ({ ...c, [id]: e.target.value }))}
                />
              )}
            </Field>
          ))}
        </div>
      </fieldset>
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
