import { existsSync } from 'node:fs';
import { type Switchyard, startSwitchyard } from '../../src/compose.js';
import { parseEnv } from '../../src/env.js';
import { createLogger } from '../../src/logger.js';

/**
 * Boots the composition root with no roles (no HTTP, no workers): connects to DATABASE_URL or the
 * embedded database under DATA_DIR, applies migrations and queues. For commands that work on the
 * database directly.
 */
export async function withSwitchyard<T>(fn: (sy: Switchyard) => Promise<T>): Promise<T> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const env = parseEnv();
  const logger = createLogger({ level: env.LOG_LEVEL === 'info' ? 'warn' : env.LOG_LEVEL });
  const sy = await startSwitchyard({ env, logger, roles: [] });
  try {
    return await fn(sy);
  } finally {
    await sy.stop();
  }
}
