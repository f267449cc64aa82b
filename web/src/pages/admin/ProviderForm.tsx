import {
  AUTH_TYPES,
  type AuthType,
  PROVIDER_KINDS,
  type Provider,
  type ProviderInput,
  type ProviderKind,
  type ProviderTier,
  type TaskType,
} from '../../api/types';
import { SelectField, TextField } from '../../components/Field';
import { type FieldErrors, Form, useForm } from '../../components/Form';
import { humanize } from '../../lib/format';

const KIND_LABELS: Record<ProviderKind, string> = {
  openai: 'OpenAI',
  anthropic: 'Anthropic',
  xai: 'xAI (Grok)',
  manus: 'Manus',
  openai_compatible: 'OpenAI-compatible',
  mock: 'Mock (testing)',
};

type Values = {
  name: string;
  kind: ProviderKind;
  apiEndpoint: string;
  authType: AuthType;
  tier: ProviderTier;
  models: string;
  /** One per task type: `competencies.<id>`, the text typed for its score. */
  [competency: `competencies.${string}`]: string;
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
  const typeIds = [...new Set([...taskTypes.map((t) => t.id), ...Object.keys(provider?.competencies ?? {})])];
  const competency = (id: string) => {
    if (!provider) return DEFAULT_COMPETENCY;
    const v = provider.competencies[id];
    return v === undefined ? '' : String(v);
  };
  const form = useForm({
    initial: {
      name: provider?.name ?? '',
      kind: provider?.kind ?? 'openai_compatible',
      apiEndpoint: provider?.apiEndpoint ?? '',
      authType: AUTH_TYPES.find((a) => a === provider?.authType) ?? 'api_key',
      tier: provider?.tier ?? 'primary',
      models: (provider?.models ?? []).join(', '),
      ...Object.fromEntries(typeIds.map((id) => [`competencies.${id}`, competency(id)])),
    } as Values,
    send: (v) =>
      onSubmit({
        name: v.name.trim(),
        kind: v.kind,
        apiEndpoint: v.apiEndpoint.trim() || null,
        authType: v.authType,
        tier: v.tier,
        models: v.models
          .split(/[,\n]/)
          .map((m) => m.trim())
          .filter(Boolean),
        competencies: Object.fromEntries(
          typeIds
            .filter((id) => v[`competencies.${id}`]?.trim())
            .map((id) => [id, Number(v[`competencies.${id}`])]),
        ),
      }),
    validate: (v) => {
      const errs: FieldErrors = {};
      const endpoint = v.apiEndpoint.trim();
      if (!v.name.trim()) errs.name = 'Give the provider a name.';
      if (v.kind === 'openai_compatible' && !endpoint)
        errs.apiEndpoint = 'An OpenAI-compatible provider needs its endpoint URL.';
      if (endpoint && !isHttpUrl(endpoint))
        errs.apiEndpoint = 'Enter a full http(s) URL, such as https://api.example.com/v1.';
      for (const id of typeIds) {
        const text = v[`competencies.${id}`] ?? '';
        const n = Number(text);
        if (text.trim() !== '' && (!Number.isFinite(n) || n < 0 || n > 1))
          errs[`competencies.${id}`] = 'Use a number from 0 to 1.';
      }
      return errs;
    },
  });

  return (
    <Form
      state={form}
      aria-label={provider ? `Edit ${provider.name}` : 'New provider'}
      errorTitle="Not saved"
      submitLabel={submitLabel}
      onCancel={onCancel}
    >
      <div className="grid-2">
        <TextField label="Name" required {...form.field('name')} name="providerName" />
        <SelectField
          label="Kind"
          options={PROVIDER_KINDS.map((k) => ({ value: k, label: KIND_LABELS[k] }))}
          {...form.field('kind')}
        />
        <TextField
          label="API endpoint"
          hint="Base URL. Required for OpenAI-compatible; optional override for the others."
          type="url"
          placeholder="https://api.example.com/v1"
          {...form.field('apiEndpoint')}
        />
        <SelectField
          label="Tier"
          hint="Secondary providers are used only when no primary one can take a task."
          options={['primary', 'secondary']}
          {...form.field('tier')}
        />
        <TextField
          label="Models"
          hint="Comma-separated; the first is the default."
          {...form.field('models')}
        />
        <SelectField
          label="Auth type"
          options={AUTH_TYPES.map((a) => ({ value: a, label: a }))}
          {...form.field('authType')}
        />
      </div>
      <fieldset className="fieldset">
        <legend>Competencies (0 to 1; blank = never route this task type here)</legend>
        <div className="grid-3">
          {typeIds.map((id) => (
            <TextField
              key={id}
              label={humanize(taskTypes.find((t) => t.id === id)?.name ?? id)}
              inputMode="decimal"
              {...form.field(`competencies.${id}`)}
              name={`competency-${id}`}
            />
          ))}
        </div>
      </fieldset>
    </Form>
  );
}

function isHttpUrl(text: string): boolean {
  try {
    const u = new URL(text);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}
