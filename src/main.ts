import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ALL_ROLES, type Role, startSwitchyard } from './compose.js';
import { EnvError, parseEnv } from './env.js';
import { createLogger } from './logger.js';

const HELP = `Usage: switchyard [--services=api,worker,bots] [--help]

Starts Switchyard. With DATABASE_URL unset it runs an embedded PostgreSQL under DATA_DIR.
  --services   comma-separated roles to run in this process (default: api,worker,bots)
Configuration comes from the environment (and ./.env if present); see .env.example.`;

async function main() {
  const { values } = parseArgs({
    options: { services: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  if (existsSync('.env')) process.loadEnvFile('.env');
  const roles = (values.services ?? ALL_ROLES.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = roles.filter((r) => !ALL_ROLES.includes(r as Role));
  if (unknown.length)
    throw new EnvError([`--services: unknown role(s) ${unknown.join(', ')}; use ${ALL_ROLES.join(', ')}`]);

  const env = parseEnv();
  const logger = createLogger({ level: env.LOG_LEVEL, json: env.NODE_ENV === 'production' });
  const sy = await startSwitchyard({ env, logger, roles: roles as Role[] });
  process.stdout.write(`\n${sy.banner()}\n\n`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal} received: shutting down gracefully`);
    const force = setTimeout(() => {
      logger.error('Shutdown took too long; exiting');
      process.exit(1);
    }, 30_000);
    force.unref();
    await sy.stop();
    logger.info('Stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((e) => {
  if (e instanceof EnvError) {
    process.stderr.write(`\n${e.message}\n\nFix the variables above (see .env.example) and start again.\n`);
  } else {
    process.stderr.write(`\nSwitchyard could not start: ${e instanceof Error ? e.message : String(e)}\n`);
  }
  process.exit(1);
});
