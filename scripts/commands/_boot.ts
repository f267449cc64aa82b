import { existsSync } from 'node:fs';
import type { Switchyard } from '../../src/compose.js';

/**
 * Boots the composition root with no roles (no HTTP, no workers): connects to DATABASE_URL or the
 * embedded database under DATA_DIR, applies migrations and queues. For commands that work on the
 * database directly. The app is imported only when a command runs, so `--help` stays instant.
 */
export async function withSwitchyard<T>(fn: (sy: Switchyard) => Promise<T>): Promise<T> {
  const [{ startSwitchyard }, { parseEnv }, { createLogger }] = await Promise.all([
    import('../../src/compose.js'),
    import('../../src/env.js'),
    import('../../src/logger.js'),
  ]);
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
