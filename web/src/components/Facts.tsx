import type { ReactNode } from 'react';

type DdAttributes = { className?: string; 'data-testid'?: string; 'aria-live'?: 'polite' };

/**
 * A description list of facts about one thing (`facts` grid, or `kv` rows), in the order given:
 * `items` maps each term to its value; `dd` gives a term's value element attributes.
 */
export function Facts({
  items,
  dd = {},
  className = 'facts',
}: {
  items: Record<string, ReactNode>;
  dd?: Record<string, DdAttributes>;
  className?: string;
}) {
  return (
    <dl className={className}>
      {Object.entries(items).map(([term, value]) => (
        <div key={term}>
          <dt>{term}</dt>
          <dd {...dd[term]}>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
