import type { ReactNode } from 'react';
import type { AsyncState } from '../lib/hooks';
import { Pagination } from './Pagination';
import { Empty, ErrorMessage, Loading } from './Status';

/** What AsyncView reads of a useAsync result. */
export type Loadable<T> = Pick<AsyncState<T>, 'data' | 'error' | 'loading' | 'reload'>;

export interface Column<T> {
  /** The column heading, also each cell's data-label (the stacked layout on small screens). */
  header: string;
  cell: (row: T, index: number) => ReactNode;
  /** The cell names its row (<th scope="row">). */
  rowHeader?: boolean;
  /** Heading read by screen readers only (e.g. "Actions"). */
  hiddenHeader?: boolean;
  className?: string;
  /** This column's cell in the table's one footer row (e.g. a total); no footer when no column has one. */
  footer?: ReactNode;
}

export interface TableProps<T> {
  columns: Array<Column<T> | false>;
  caption: ReactNode;
  /** Show the caption (by default it is for screen readers only). */
  showCaption?: boolean;
  rowKey: (row: T) => string | number;
  rowProps?: (row: T) => Record<string, string | undefined>;
  testId?: string;
  compact?: boolean;
}

/** A body or footer cell: a row heading (<th scope="row">) in the column that names the row. */
function BodyCell<T>({ column, children }: { column: Column<T>; children: ReactNode }) {
  return column.rowHeader ? (
    <th scope="row" data-label={column.header} className={column.className}>
      {children}
    </th>
  ) : (
    <td data-label={column.header} className={column.className}>
      {children}
    </td>
  );
}

/** A responsive table: every cell carries its column's name, headings are scoped. */
export function DataTable<T>({
  rows,
  columns,
  caption,
  showCaption = false,
  rowKey,
  rowProps,
  testId,
  compact = false,
}: TableProps<T> & { rows: readonly T[] }) {
  const cols = columns.filter((c): c is Column<T> => c !== false);
  const footed = cols.some((c) => c.footer !== undefined);
  return (
    <div className="table-wrap">
      <table className={compact ? 'table responsive compact' : 'table responsive'} data-testid={testId}>
        <caption className={showCaption ? undefined : 'visually-hidden'}>{caption}</caption>
        <thead>
          <tr>
            {cols.map((c) => (
              <th key={c.header} scope="col">
                {c.hiddenHeader ? <span className="visually-hidden">{c.header}</span> : c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={rowKey(r)} {...rowProps?.(r)}>
              {cols.map((c) => (
                <BodyCell key={c.header} column={c}>
                  {c.cell(r, i)}
                </BodyCell>
              ))}
            </tr>
          ))}
        </tbody>
        {footed && (
          <tfoot>
            <tr>
              {cols.map((c) => (
                <BodyCell key={c.header} column={c}>
                  {c.footer}
                </BodyCell>
              ))}
            </tr>
          </tfoot>
        )}
      </table>
    </div>
  );
}

/**
 * What a loaded resource shows: a spinner on the first load, the error (with Try again) when it
 * failed, otherwise `children(data)`. With `staleErrorTitle`, a failed reload keeps the last data on
 * screen under an error of that title instead of replacing it.
 */
export function AsyncView<T>({
  state,
  loadingLabel,
  staleErrorTitle,
  children,
}: {
  state: Loadable<T>;
  loadingLabel: string;
  staleErrorTitle?: string;
  children: (data: T) => ReactNode;
}) {
  const { data, error } = state;
  const retry = () => state.reload();
  if (state.loading && !data) return <Loading label={loadingLabel} />;
  if (error && (!data || staleErrorTitle === undefined))
    return <ErrorMessage error={error} onRetry={retry} />;
  if (!data) return null;
  return (
    <>
      {error !== null && <ErrorMessage error={error} onRetry={retry} title={staleErrorTitle} />}
      {children(data)}
    </>
  );
}

/**
 * A loaded list as a table: loading, error and empty states, an optional line above the table and
 * pagination below it (`total` comes from the page the API answered).
 */
export function AsyncTable<T>({
  state,
  loadingLabel,
  staleErrorTitle,
  empty,
  above,
  pagination,
  ...table
}: TableProps<T> & {
  state: Loadable<{ items: T[]; total?: number }>;
  loadingLabel: string;
  staleErrorTitle?: string;
  empty: ReactNode;
  above?: (total: number) => ReactNode;
  pagination?: { page: number; limit: number; onPage: (page: number) => void; label: string };
}) {
  return (
    <AsyncView state={state} loadingLabel={loadingLabel} staleErrorTitle={staleErrorTitle}>
      {({ items, total = items.length }) =>
        items.length === 0 ? (
          <Empty>{empty}</Empty>
        ) : (
          <>
            {above?.(total)}
            <DataTable rows={items} {...table} />
            {pagination && <Pagination total={total} {...pagination} />}
          </>
        )
      }
    </AsyncView>
  );
}
