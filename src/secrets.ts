import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Env } from './env.js';
import type { Logger } from './logger.js';

export interface ResolvedSecrets {
  jwtSecret: string;
  encryptionKey: Buffer;
  /** Where generated secrets were kept, when any were generated. */
  generatedFile?: string;
}

/**
 * JWT_SECRET and ENCRYPTION_KEY from the environment; outside production, missing ones are
 * generated once and kept in `<DATA_DIR>/secrets.json` (mode 0600) so tokens and encrypted
 * credentials survive restarts.
 */
export function resolveSecrets(env: Env, logger: Logger): ResolvedSecrets {
  if (env.JWT_SECRET && env.ENCRYPTION_KEY) {
    return { jwtSecret: env.JWT_SECRET, encryptionKey: Buffer.from(env.ENCRYPTION_KEY, 'base64') };
  }
  const file = path.resolve(env.DATA_DIR, 'secrets.json');
  let stored: { jwtSecret?: string; encryptionKey?: string } = {};
  if (existsSync(file)) stored = JSON.parse(readFileSync(file, 'utf8'));
  let changed = false;
  if (!env.JWT_SECRET && !stored.jwtSecret) {
    stored.jwtSecret = randomBytes(48).toString('base64url');
    changed = true;
  }
  if (!env.ENCRYPTION_KEY && !stored.encryptionKey) {
    stored.encryptionKey = randomBytes(32).toString('base64');
    changed = true;
  }
  if (changed) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
  }
  const missing = [!env.JWT_SECRET && 'JWT_SECRET', !env.ENCRYPTION_KEY && 'ENCRYPTION_KEY']
    .filter(Boolean)
    .join(' and ');
  logger.warn(
    `${missing} not set: using generated value(s) kept in ${file}. Set them explicitly in production.`,
  );
  return {
    jwtSecret: env.JWT_SECRET ?? stored.jwtSecret!,
    encryptionKey: Buffer.from(env.ENCRYPTION_KEY ?? stored.encryptionKey!, 'base64'),
    generatedFile: file,
  };
}
