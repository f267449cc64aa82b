import { useEffect } from 'react';
import { api } from '../../api/client';
import type { BudgetScope } from '../../api/types';
import { SelectField, TextField } from '../../components/Field';
import { useAsync } from '../../lib/hooks';

export interface ScopeOption {
  value: string;
  label: string;
}

/**
 * What may carry a budget of this scope, from the lists the API gives the caller (teams they
 * administer, users for site admins, provider accounts, their hooks and tokens, their teams' chat
 * workspaces). Null when there is no list for it: the form then asks for the id.
 */
export async function scopeOptions(
  scope: BudgetScope,
  isAdmin: boolean,
  signal: AbortSignal,
): Promise<ScopeOption[] | null> {
  const manageable = async () =>
    (await api.listTeams(signal)).items.filter((t) => isAdmin || t.role === 'owner' || t.role === 'admin');
  switch (scope) {
    case 'team':
      return (await manageable()).map((t) => ({ value: t.id, label: t.name }));
    case 'user':
      if (!isAdmin) return null;
      return (await api.listUsers({ limit: 100 }, signal)).items.map((u) => ({
        value: u.id,
        label: u.email ? `${u.username} (${u.email})` : u.username,
      }));
    case 'provider_account': {
      const providers = (await api.listProviders(signal)).items;
      const out: ScopeOption[] = [];
      for (const p of providers) {
        const detail = await api.getProvider(p.id, signal);
        for (const a of detail.accounts ?? [])
          out.push({ value: a.id, label: `${p.name} · ${a.accountName}` });
      }
      return out;
    }
    case 'hook':
      return (await api.listWebhooks(signal)).items.map((h) => ({ value: h.id, label: h.name }));
    case 'api_token':
      return (await api.listApiTokens(signal)).items.map((t) => ({ value: t.id, label: t.name }));
    case 'chat_workspace': {
      const out: ScopeOption[] = [];
      for (const t of await manageable()) {
        const detail = await api.getTeam(t.id, signal);
        for (const w of detail.chatWorkspaces ?? [])
          out.push({ value: w.id, label: `${t.name} · ${w.platform} ${w.externalId}` });
      }
      return out;
    }
  }
}

/** A select of what the caller may budget for this scope, or a plain id field when there is no list. */
export function ScopePicker({
  scope,
  isAdmin,
  value,
  onChange,
  error,
}: {
  scope: BudgetScope;
  isAdmin: boolean;
  value: string;
  onChange: (v: string) => void;
  error?: string;
}) {
  const options = useAsync((s) => scopeOptions(scope, isAdmin, s).catch(() => null), [scope, isAdmin]);
  const list = options.data;
  // A preset target the caller may not budget (e.g. a team they only belong to) is not kept hidden
  // behind "Choose…": clear it so what is sent is what is shown.
  useEffect(() => {
    if (list && list.length > 0 && value && !list.some((o) => o.value === value)) onChange('');
  }, [list, value, onChange]);
  if (options.loading && list === undefined)
    return <TextField label="Applies to" value={value} onChange={onChange} disabled hint="Loading…" />;
  if (list && list.length > 0)
    return (
      <SelectField
        label="Applies to"
        required
        name="scopeId"
        value={value}
        onChange={onChange}
        options={list}
        emptyOption="Choose…"
        error={error}
      />
    );
  return (
    <TextField
      label="Applies to (id)"
      required
      name="scopeId"
      value={value}
      onChange={onChange}
      spellCheck={false}
      hint={`The id of the ${scope.replace(/_/g, ' ')}.`}
      error={error}
    />
  );
}
