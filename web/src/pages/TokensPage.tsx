import { type FormEvent, useState } from 'react';
import { api } from '../api/client';
import { fieldErrors } from '../api/errors';
import type { CreatedApiToken } from '../api/types';
import { ConfirmButton } from '../components/ConfirmButton';
import { Field } from '../components/Field';
import { PageHeader } from '../components/Layout';
import { SecretReveal } from '../components/SecretReveal';
import { Empty, ErrorMessage, Loading } from '../components/Status';
import { formatDateTime } from '../lib/format';
import { useAction, useAsync, usePageTitle } from '../lib/hooks';

export function TokensPage() {
  usePageTitle('API tokens');
  const tokens = useAsync((s) => api.listApiTokens(s), []);
  const [name, setName] = useState('');
  const [days, setDays] = useState('');
  const [created, setCreated] = useState<CreatedApiToken | null>(null);
  const [nameError, setNameError] = useState<string | null>(null);
  const create = useAction(async () => {
    const t = await api.createApiToken({
      name: name.trim(),
      ...(days ? { expiresInDays: Number(days) } : {}),
    });
    setCreated(t);
    setName('');
    setDays('');
    tokens.reload({ silent: true });
  });
  const revoke = useAction(async (id: string) => {
    await api.revokeApiToken(id);
    if (created?.id === id) setCreated(null);
    tokens.reload({ silent: true });
  });

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim()) {
      setNameError('Give the token a name, such as where it will be used.');
      return;
    }
    setNameError(null);
    create.run();
  };
  const errs = fieldErrors(create.error);
  const items = tokens.data?.items ?? [];

  return (
    <section className="stack">
      <PageHeader title="API tokens" />
      <p>
        Personal API tokens act as you when calling the Switchyard API (send them as a Bearer token). Treat
        them like passwords.
      </p>
      <form className="card stack" onSubmit={onSubmit} aria-labelledby="new-token-h" noValidate>
        <h2 id="new-token-h">Create a token</h2>
        {create.error !== null && <ErrorMessage error={create.error} title="No token was created" />}
        <div className="grid-2">
          <Field label="Token name" required error={nameError ?? errs.name}>
            {(p) => (
              <input
                {...p}
                className="input"
                name="tokenName"
                value={name}
                onChange={(e) => setName(e.target.value)}
              />
            )}
          </Field>
          <Field label="Expires in" error={errs.expiresInDays}>
            {(p) => (
              <select
                {...p}
                className="input"
                name="expiresInDays"
                value={days}
                onChange={(e) => setDays(e.target.value)}
              >
                <option value="">Never</option>
                <option value="7">7 days</option>
                <option value="30">30 days</option>
                <option value="90">90 days</option>
                <option value="365">1 year</option>
              </select>
            )}
          </Field>
        </div>
        <div>
          <button type="submit" className="btn btn-primary" disabled={create.pending}>
            {create.pending ? 'Creating…' : 'Create token'}
          </button>
        </div>
        {created && (
          <SecretReveal label={`New token “${created.name}”`} value={created.token} testId="new-api-token" />
        )}
      </form>

      <section className="card stack" aria-labelledby="tokens-h">
        <h2 id="tokens-h">Your tokens</h2>
        {revoke.error !== null && <ErrorMessage error={revoke.error} title="Could not revoke" />}
        {tokens.loading && !tokens.data ? (
          <Loading label="Loading tokens…" />
        ) : tokens.error ? (
          <ErrorMessage error={tokens.error} onRetry={() => tokens.reload()} />
        ) : items.length === 0 ? (
          <Empty>You have no API tokens.</Empty>
        ) : (
          <div className="table-wrap">
            <table className="table responsive">
              <caption className="visually-hidden">API tokens</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last used</th>
                  <th scope="col">Expires</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.map((t) => (
                  <tr key={t.id}>
                    <th scope="row" data-label="Name">
                      {t.name}
                    </th>
                    <td data-label="Created">{formatDateTime(t.createdAt)}</td>
                    <td data-label="Last used">{t.lastUsedAt ? formatDateTime(t.lastUsedAt) : 'Never'}</td>
                    <td data-label="Expires">{t.expiresAt ? formatDateTime(t.expiresAt) : 'Never'}</td>
                    <td data-label="Actions">
                      <ConfirmButton
                        label="Revoke"
                        accessibleName={`Revoke token ${t.name}`}
                        question={`Revoke “${t.name}”?`}
                        onConfirm={() => revoke.run(t.id)}
                      />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </section>
  );
}
