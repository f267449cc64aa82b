import type { CircuitSettings, RoutingHealth } from './types.js';

/**
 * The circuit breaker's read side, as a pure function. State lives in provider_health so every
 * process shares it; the write side (open after failures, claim the half-open probe, close on
 * success) is SQL in models/providerHealthStore.ts.
 *
 *   closed ──(failureThreshold failures in a row, or errorRateThreshold over the window)──▶ open
 *   open ──(cooldownSeconds pass; one worker claims the probe)──▶ half_open
 *   half_open ──probe succeeds──▶ closed        half_open ──probe fails──▶ open (cool-down again)
 *
 * A half-open probe whose worker vanished is reclaimable after `probeStaleMs`.
 */
export type CircuitGate = 'pass' | 'probe' | 'open' | 'probe_in_flight';

export function circuitGate(
  health: RoutingHealth,
  now: Date,
  settings: Pick<CircuitSettings, 'cooldownSeconds'>,
  probeStaleMs: number,
): CircuitGate {
  if (health.circuit === 'closed') return 'pass';
  if (health.circuit === 'open') {
    const since = health.openedAt ?? health.changedAt;
    if (!since || now.getTime() - since.getTime() >= settings.cooldownSeconds * 1000) return 'probe';
    return 'open';
  }
  const claimed = health.changedAt;
  if (!claimed || now.getTime() - claimed.getTime() >= probeStaleMs) return 'probe';
  return 'probe_in_flight';
}

/** The effective circuit settings of one provider: its own overrides over the defaults. */
export function circuitSettingsFor(
  defaults: CircuitSettings,
  own?: Partial<CircuitSettings>,
): CircuitSettings {
  if (!own) return defaults;
  const pick = (k: keyof CircuitSettings, min: number, max: number) => {
    const v = own[k];
    return typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max ? v : defaults[k];
  };
  return {
    failureThreshold: pick('failureThreshold', 1, 1000),
    errorRateThreshold: pick('errorRateThreshold', 0.01, 1),
    minSamples: pick('minSamples', 1, 100_000),
    windowSeconds: pick('windowSeconds', 1, 86_400),
    cooldownSeconds: pick('cooldownSeconds', 0, 86_400),
  };
}
