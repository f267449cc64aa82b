import { describe, expect, it } from 'vitest';
import { CallbackService } from '../../src/core/webhooks/callbackService.js';
import { parseEnv } from '../../src/env.js';

describe('callback retry schedule', () => {
  it('by default makes 7 attempts spread over about an hour, doubling from 60 s up to 30 min', () => {
    const env = parseEnv({});
    const svc = new CallbackService(
      {} as never,
      {} as never,
      {} as never,
      { error() {}, warn() {}, info() {}, debug() {} },
      {
        masterKey: Buffer.alloc(32),
        allowPrivate: false,
        timeoutMs: env.WEBHOOK_TIMEOUT_MS,
        retryDelaySeconds: env.WEBHOOK_RETRY_DELAY_SECONDS,
        maxDelaySeconds: 1800,
        maxAttempts: env.WEBHOOK_MAX_ATTEMPTS,
      },
    );
    const delays: number[] = [];
    for (let attempt = 1; ; attempt++) {
      const d = svc.retryDelay(attempt);
      if (d === null) break;
      delays.push(d);
    }
    expect(delays).toEqual([60, 120, 240, 480, 960, 1800]);
    expect(delays.length + 1).toBeGreaterThanOrEqual(6);
    const total = delays.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(50 * 60);
    expect(total).toBeLessThan(75 * 60);
    expect(env.WEBHOOK_TIMEOUT_MS).toBe(10_000);
  });
});
