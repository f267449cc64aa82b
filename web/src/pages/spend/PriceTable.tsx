import { useState } from 'react';
import { api } from '../../api/client';
import type { PriceOverride, PriceRow } from '../../api/types';
import { DataTable } from '../../components/DataTable';
import { InlineInput, TextField } from '../../components/Field';
import { type FieldErrors, Form, useForm } from '../../components/Form';
import { Card } from '../../components/Layout';
import { Empty, ErrorMessage, Loading } from '../../components/Status';
import { useAction, useAsync } from '../../lib/hooks';

export const OVERRIDE_SOURCE = 'admin override';
const SHOWN = 50;
const key = (p: { providerKind: string; model: string }) => `${p.providerKind}\u0000${p.model}`;

const usd = (n: number | null) =>
  n === null ? '—' : `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 6 })}`;

/** The overrides in force, as PUT /api/admin/prices takes them (it replaces the whole set). */
export function overridesOf(rows: PriceRow[]): PriceOverride[] {
  return rows
    .filter((r) => r.source === OVERRIDE_SOURCE)
    .map(({ providerKind, model, inputPerMTokUsd, outputPerMTokUsd, cachedInputPerMTokUsd }) => ({
      providerKind,
      model,
      inputPerMTokUsd,
      outputPerMTokUsd,
      cachedInputPerMTokUsd,
    }));
}

const price = (s: string) => /^\d+(\.\d+)?$|^\.\d+$/.test(s.trim()) && Number(s) <= 1_000_000;

function OverrideForm({
  row,
  onSave,
  onCancel,
}: {
  row: PriceRow;
  onSave: (o: PriceOverride) => Promise<unknown>;
  onCancel: () => void;
}) {
  const form = useForm({
    initial: {
      inputPerMTokUsd: String(row.inputPerMTokUsd),
      outputPerMTokUsd: String(row.outputPerMTokUsd),
      cachedInputPerMTokUsd: row.cachedInputPerMTokUsd === null ? '' : String(row.cachedInputPerMTokUsd),
    },
    validate: (v) => {
      const e: FieldErrors = {};
      if (!price(v.inputPerMTokUsd)) e.inputPerMTokUsd = 'Dollars per million tokens, 0 or more.';
      if (!price(v.outputPerMTokUsd)) e.outputPerMTokUsd = 'Dollars per million tokens, 0 or more.';
      if (v.cachedInputPerMTokUsd.trim() && !price(v.cachedInputPerMTokUsd))
        e.cachedInputPerMTokUsd = 'Dollars per million tokens, or empty.';
      return e;
    },
    send: (v) =>
      onSave({
        providerKind: row.providerKind,
        model: row.model,
        inputPerMTokUsd: Number(v.inputPerMTokUsd),
        outputPerMTokUsd: Number(v.outputPerMTokUsd),
        cachedInputPerMTokUsd: v.cachedInputPerMTokUsd.trim() ? Number(v.cachedInputPerMTokUsd) : null,
      }),
  });
  return (
    <Form
      state={form}
      aria-label={`Override the price of ${row.providerKind} ${row.model}`}
      errorTitle="Price not saved"
      submitLabel="Save override"
      onCancel={onCancel}
    >
      <div className="grid-2">
        <TextField label="Input (USD / M tokens)" inputMode="decimal" {...form.field('inputPerMTokUsd')} />
        <TextField label="Output (USD / M tokens)" inputMode="decimal" {...form.field('outputPerMTokUsd')} />
        <TextField
          label="Cached input (USD / M tokens)"
          inputMode="decimal"
          {...form.field('cachedInputPerMTokUsd')}
        />
      </div>
    </Form>
  );
}

/** Prices per provider kind and model with where each comes from; site admins override rows. */
export function PriceTable({ isAdmin }: { isAdmin: boolean }) {
  const prices = useAsync((s) => api.listPrices(s), []);
  const [filter, setFilter] = useState('');
  const [editing, setEditing] = useState<string | null>(null);
  const rows = prices.data?.items ?? [];
  const save = async (overrides: PriceOverride[]) => {
    const next = await api.replacePriceOverrides({ items: overrides });
    prices.setData(next);
    setEditing(null);
  };
  const remove = useAction((row: PriceRow) => save(overridesOf(rows).filter((o) => key(o) !== key(row))));
  const q = filter.trim().toLowerCase();
  const matching = q ? rows.filter((r) => `${r.providerKind} ${r.model}`.toLowerCase().includes(q)) : rows;
  const editingRow = rows.find((r) => key(r) === editing);

  return (
    <Card title="Prices">
      <div className="toolbar">
        <InlineInput
          label="Filter"
          type="search"
          grow
          value={filter}
          onChange={setFilter}
          placeholder="openai gpt-4o"
        />
      </div>
      {prices.error ? (
        <ErrorMessage error={prices.error} onRetry={() => prices.reload()} />
      ) : prices.loading && !prices.data ? (
        <Loading />
      ) : matching.length === 0 ? (
        <Empty>No prices match.</Empty>
      ) : (
        <>
          <DataTable
            rows={matching.slice(0, SHOWN)}
            caption="Prices in USD per million tokens"
            compact
            rowKey={key}
            columns={[
              { header: 'Provider', cell: (r) => r.providerKind },
              { header: 'Model', rowHeader: true, cell: (r) => r.model },
              { header: 'Input / M', cell: (r) => usd(r.inputPerMTokUsd) },
              { header: 'Output / M', cell: (r) => usd(r.outputPerMTokUsd) },
              { header: 'Cached input / M', cell: (r) => usd(r.cachedInputPerMTokUsd) },
              { header: 'Source', cell: (r) => r.source },
              isAdmin && {
                header: 'Actions',
                className: 'actions',
                cell: (r) => (
                  <>
                    <button
                      type="button"
                      className="btn btn-sm"
                      onClick={() => setEditing(key(r))}
                      aria-label={`Override ${r.providerKind} ${r.model}`}
                    >
                      Override
                    </button>
                    {r.source === OVERRIDE_SOURCE && (
                      <button
                        type="button"
                        className="btn btn-sm btn-ghost"
                        disabled={remove.pending}
                        onClick={() => remove.run(r)}
                        aria-label={`Remove the override of ${r.providerKind} ${r.model}`}
                      >
                        Remove override
                      </button>
                    )}
                  </>
                ),
              },
            ]}
          />
          {matching.length > SHOWN && (
            <p className="muted small">
              Showing {SHOWN} of {matching.length}; filter to find the others.
            </p>
          )}
        </>
      )}
      {remove.error ? <ErrorMessage error={remove.error} title="Override not removed" /> : null}
      {isAdmin && editingRow && (
        <OverrideForm
          key={editing}
          row={editingRow}
          onCancel={() => setEditing(null)}
          onSave={(o) => save([...overridesOf(rows).filter((x) => key(x) !== key(o)), o])}
        />
      )}
    </Card>
  );
}
