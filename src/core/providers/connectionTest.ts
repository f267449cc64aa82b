import { type CallSignals, callSignals } from './callSignals.js';
import { classifyProviderError } from './classify.js';
import type { TestResult } from './connector.js';

/**
 * A connector's `test()`: one cheap authenticated request (`probe`, e.g. list models) within
 * `timeoutMs`. Answers its latency and the model calls would use, or the classified error's
 * message (with `secrets` masked).
 */
export async function connectionTest(o: {
  providerKind: string;
  signal?: AbortSignal;
  timeoutMs: number;
  secrets: Array<string | undefined>;
  model?: string;
  probe: (signals: CallSignals) => Promise<unknown>;
}): Promise<TestResult> {
  const t0 = performance.now();
  const signals = callSignals(o.signal, o.timeoutMs);
  try {
    await o.probe(signals);
    return { ok: true, latencyMs: Math.round(performance.now() - t0), model: o.model };
  } catch (err) {
    const e = classifyProviderError(err, {
      providerKind: o.providerKind,
      callerSignal: o.signal,
      deadlineSignal: signals.deadline,
      secrets: o.secrets,
    });
    return { ok: false, latencyMs: Math.round(performance.now() - t0), error: e.message };
  }
}
