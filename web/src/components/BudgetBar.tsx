import type { ProviderAccount } from '../api/types';
import { budget } from '../lib/budget';
import { formatDateTime, formatNumber, formatRelative } from '../lib/format';

/** Used / reserved / remaining tokens of one account as a stacked bar plus the figures in words. */
export function BudgetBar({
  account,
}: {
  account: Pick<
    ProviderAccount,
    | 'tokenLimit'
    | 'tokenUsed'
    | 'tokenReserved'
    | 'tokensRemaining'
    | 'resetDate'
    | 'resetPeriod'
    | 'accountName'
  >;
}) {
  const b = budget(account);
  const summary = `${formatNumber(b.used)} used, ${formatNumber(b.reserved)} reserved, ${formatNumber(b.remaining)} remaining of ${formatNumber(b.limit)} tokens`;
  return (
    <div className="budget" data-testid="budget">
      {/* biome-ignore lint/a11y/useSemanticElements: a native <meter> cannot show the stacked used/reserved segments */}
      <div
        className={`budget-bar budget-${b.level}`}
        role="meter"
        aria-label={`Token budget for ${account.accountName}`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(b.usedPct + b.reservedPct)}
        aria-valuetext={summary}
      >
        <span className="budget-used" style={{ width: `${b.usedPct}%` }} />
        <span className="budget-reserved" style={{ width: `${b.reservedPct}%` }} />
      </div>
      <dl className="budget-legend">
        <div>
          <dt>
            <span className="swatch swatch-used" aria-hidden="true" /> Used
          </dt>
          <dd>
            {formatNumber(b.used)} <span className="muted">({b.usedPct}%)</span>
          </dd>
        </div>
        <div>
          <dt>
            <span className="swatch swatch-reserved" aria-hidden="true" /> Reserved
          </dt>
          <dd>
            {formatNumber(b.reserved)} <span className="muted">({b.reservedPct}%)</span>
          </dd>
        </div>
        <div>
          <dt>
            <span className="swatch swatch-remaining" aria-hidden="true" /> Remaining
          </dt>
          <dd>
            {formatNumber(b.remaining)} <span className="muted">of {formatNumber(b.limit)}</span>
          </dd>
        </div>
        <div>
          <dt>Next reset</dt>
          <dd>
            {account.resetPeriod === 'none' || !account.resetDate ? (
              'Never (no reset period)'
            ) : (
              <time dateTime={account.resetDate} title={formatDateTime(account.resetDate)}>
                {formatRelative(account.resetDate)} ({account.resetPeriod})
              </time>
            )}
          </dd>
        </div>
      </dl>
      {b.overCommitted && <p className="field-error">Used and reserved tokens exceed the limit.</p>}
    </div>
  );
}

/**
 * The same stacked bar for a spend budget: spent and reserved (money or tokens) against its limit,
 * with the figures in words. `format` renders an amount (dollars from micros, or a token count).
 */
export function LimitBar({
  label,
  used,
  reserved,
  limit,
  format,
}: {
  /** Names the meter for screen readers, e.g. "Money budget for Team A". */
  label: string;
  used: number;
  reserved: number;
  limit: number;
  format: (n: number) => string;
}) {
  const b = budget({ tokenLimit: limit, tokenUsed: used, tokenReserved: reserved });
  const summary = `${format(b.used)} spent, ${format(b.reserved)} reserved, ${format(b.remaining)} left of ${format(b.limit)}`;
  return (
    <div className="budget" data-testid="limit-bar">
      {/* biome-ignore lint/a11y/useSemanticElements: a native <meter> cannot show the stacked used/reserved segments */}
      <div
        className={`budget-bar budget-${b.level}`}
        role="meter"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(b.usedPct + b.reservedPct)}
        aria-valuetext={summary}
      >
        <span className="budget-used" style={{ width: `${b.usedPct}%` }} />
        <span className="budget-reserved" style={{ width: `${b.reservedPct}%` }} />
      </div>
      <p className="small">
        <span className="swatch swatch-used" aria-hidden="true" /> {format(b.used)} spent{' '}
        <span className="swatch swatch-reserved" aria-hidden="true" /> {format(b.reserved)} reserved{' '}
        <span className="muted">
          of {format(b.limit)} ({Math.round(b.usedPct + b.reservedPct)}%)
        </span>
      </p>
      {b.overCommitted && <p className="field-error">Spent and reserved exceed the limit.</p>}
    </div>
  );
}
