/**
 * Money on the wire is USD in integer micro-dollars (`costMicros`, `limitMicros`); the portal shows and
 * takes dollars. Conversions go through the decimal string, never through a float multiplication, so
 * "0.29" is 290000 micros and not 289999.99999999994.
 */

export const MICROS_PER_DOLLAR = 1_000_000;

export type ParsedDollars = { ok: true; micros: number } | { ok: false; error: string };

/**
 * "12", "12.5", "$1,234.56", ".5" → micro-dollars, exactly. At most 6 decimal places (one micro-dollar);
 * no negatives; no more than Number.MAX_SAFE_INTEGER micros.
 */
export function parseDollars(input: string): ParsedDollars {
  let s = input.trim().replace(/^\$\s*/, '');
  if (/^\d{1,3}(,\d{3})+(\.\d*)?$/.test(s)) s = s.replace(/,/g, '');
  const m = /^(\d*)(?:\.(\d*))?$/.exec(s);
  if (!m || (m[1] === '' && (m[2] ?? '') === ''))
    return { ok: false, error: 'Enter an amount in dollars, such as 25 or 12.50.' };
  const whole = m[1] || '0';
  const frac = (m[2] ?? '').replace(/0+$/, '');
  if (frac.length > 6) return { ok: false, error: 'Use at most 6 decimal places (one micro-dollar).' };
  const micros = BigInt(whole) * 1_000_000n + BigInt(frac.padEnd(6, '0') || '0');
  if (micros > BigInt(Number.MAX_SAFE_INTEGER)) return { ok: false, error: 'That amount is too large.' };
  return { ok: true, micros: Number(micros) };
}

/** Micro-dollars → the shortest exact decimal string of dollars ("12.5", "0.000001", "3"), for inputs. */
export function microsToDollarString(micros: number): string {
  if (!Number.isSafeInteger(micros)) throw new RangeError(`not a whole number of micro-dollars: ${micros}`);
  const neg = micros < 0;
  const abs = BigInt(Math.abs(micros));
  const whole = abs / 1_000_000n;
  const frac = (abs % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${whole}${frac ? `.${frac}` : ''}`;
}

/** Micro-dollars as a float number of dollars: for chart axes only, never for anything sent back. */
export function microsToDollars(micros: number): number {
  return micros / MICROS_PER_DOLLAR;
}

const grouped = new Intl.NumberFormat('en-US');

/**
 * Micro-dollars for people: whole cents from a cent up ("$1,234.57", "$0.05"), and below a cent
 * enough digits to see something ("$0.0042", at most 6 decimals); "$0.00" for nothing. Integer maths.
 */
export function formatUsd(micros: number | null | undefined): string {
  if (typeof micros !== 'number' || !Number.isFinite(micros)) return '—';
  const m = Math.round(micros);
  const sign = m < 0 ? '-' : '';
  const abs = BigInt(Math.abs(m));
  if (abs === 0n) return '$0.00';
  if (abs >= 10_000n) {
    // Round half up to whole cents.
    const cents = (abs + 5_000n) / 10_000n;
    const whole = cents / 100n;
    const c = (cents % 100n).toString().padStart(2, '0');
    return `${sign}$${grouped.format(whole)}.${c}`;
  }
  // Under a cent: show the micros, trimmed, at least two decimals.
  const frac = abs.toString().padStart(6, '0').replace(/0+$/, '').padEnd(2, '0');
  return `${sign}$0.${frac}`;
}
