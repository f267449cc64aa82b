/**
 * Switchyard's default process (api, worker and bots roles; mock provider at 0 ms) for
 * bench/restIntake.ts, on the database named by DATABASE_URL. Prints `URL <url>` when it listens. Over
 * IPC it answers `lag` with its own event-loop delay (p50/p99/max ms beyond monitorEventLoopDelay's 10 ms
 * sampling interval) since the previous `lag`, so the figure is the server's loop, not the load generator's.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ALL_ROLES, startSwitchyard } from '../src/compose.js';
import { parseEnv } from '../src/env.js';
import { createLogger } from '../src/logger.js';

const env = parseEnv({
  NODE_ENV: 'production',
  PORT: '0',
  HOST: '127.0.0.1',
  DATA_DIR: mkdtempSync(path.join(tmpdir(), 'sy-bench-rest-')),
  DATABASE_URL: process.env.DATABASE_URL,
  JWT_SECRET: 'bench-jwt-secret-that-is-long-enough-0123456789',
  ENCRYPTION_KEY: Buffer.alloc(32, 5).toString('base64'),
  ADMIN_EMAIL: 'admin@example.com',
  ADMIN_PASSWORD: 'admin-password-1',
  ADMIN_USERNAME: 'admin',
  MOCK_PROVIDER: 'on',
  // The mock at 0 ms: its product default streams at 200 tokens/s, which would slow the drain down.
  MOCK_TOKENS_PER_SECOND: '0',
  LOG_LEVEL: 'error',
  RATE_LIMIT_PER_MINUTE: '100000000',
  AUTH_RATE_LIMIT_PER_MINUTE: '100000000',
});
const sy = await startSwitchyard({ env, logger: createLogger({ level: 'error' }), roles: ALL_ROLES });
const RESOLUTION_MS = 10;
const lag = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
lag.enable();
process.on('message', (m) => {
  if (m !== 'lag') return;
  // The histogram holds each timer's whole interval: the delay is what exceeds the resolution.
  const ms = (ns: number) => Math.max(0, ns / 1e6 - RESOLUTION_MS);
  process.send?.({ p50: ms(lag.percentile(50)), p99: ms(lag.percentile(99)), max: ms(lag.max) });
  lag.reset();
});
console.log(`URL ${sy.api!.url}`);
const stop = async () => {
  lag.disable();
  await sy.stop();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
