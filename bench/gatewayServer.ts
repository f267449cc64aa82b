/**
 * Switchyard's API process for bench/gateway.ts: the real composition root (api role only) on the
 * database named by DATABASE_URL. Prints `URL <url>` when it listens.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startSwitchyard } from '../src/compose.js';
import { parseEnv } from '../src/env.js';
import { createLogger } from '../src/logger.js';

const env = parseEnv({
  NODE_ENV: 'production',
  PORT: '0',
  HOST: '127.0.0.1',
  DATA_DIR: mkdtempSync(path.join(tmpdir(), 'sy-bench-gw-')),
  DATABASE_URL: process.env.DATABASE_URL,
  JWT_SECRET: 'bench-jwt-secret-that-is-long-enough-0123456789',
  ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
  ADMIN_EMAIL: 'admin@example.com',
  ADMIN_PASSWORD: 'admin-password-1',
  ADMIN_USERNAME: 'admin',
  MOCK_PROVIDER: 'off',
  OUTBOUND_ALLOW_PRIVATE: 'true',
  LOG_LEVEL: 'error',
  RATE_LIMIT_PER_MINUTE: '100000000',
  AUTH_RATE_LIMIT_PER_MINUTE: '100000000',
  GATEWAY_RATE_LIMIT_PER_MINUTE: '100000000',
});
const sy = await startSwitchyard({ env, logger: createLogger({ level: 'error' }), roles: ['api'] });
console.log(`URL ${sy.api!.url}`);
const stop = async () => {
  await sy.stop();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
