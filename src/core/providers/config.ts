/**
 * Typed reads of `ConnectorSettings.config` (kind-specific options stored as JSON): a wrong type
 * or an out-of-range value falls back to the default instead of reaching a vendor SDK.
 */
type Config = Record<string, unknown> | undefined;

export function configNumber(
  config: Config,
  key: string,
  fallback: number,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const v = config?.[key];
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) && n >= min && n <= max ? n : fallback;
}

export function configString(config: Config, key: string): string | undefined {
  const v = config?.[key];
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

export function configBoolean(config: Config, key: string, fallback: boolean): boolean {
  const v = config?.[key];
  if (typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  return fallback;
}

export function configEnum<T extends string>(
  config: Config,
  key: string,
  allowed: readonly T[],
  fallback: T,
): T {
  const v = config?.[key];
  return typeof v === 'string' && (allowed as readonly string[]).includes(v) ? (v as T) : fallback;
}
