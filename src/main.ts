// First, before anything heavy loads: on an unsupported Node.js say so in one line and exit.
import { exitIfUnsupportedNode } from './nodeVersion.js';

exitIfUnsupportedNode();

const HELP = `Usage: switchyard [--services=api,worker,bots] [--help]

Starts Switchyard. With DATABASE_URL unset it runs an embedded PostgreSQL under DATA_DIR.
  --services   comma-separated roles to run in this process (default: api,worker,bots)
Configuration comes from the environment (and ./.env if present); see .env.example.`;

async function main() {
  const [{ existsSync }, { parseArgs }] = await Promise.all([import('node:fs'), import('node:util')]);
  const { values } = parseArgs({
    options: { services: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  // The application is imported only now, after the version check above.
  const [{ ALL_ROLES, startSwitchyard }, { EnvError, parseEnv }, { createLogger }] = await Promise.all([
    import('./compose.js'),
    import('./env.js'),
    import('./logger.js'),
  ]);
  type Role = (typeof ALL_ROLES)[number];
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
  // Signals are handled from here on, so a Ctrl-C during start-up still stops what has started
  // (the embedded database included) instead of leaving it behind.
  let stopping = false;
  const starting = startSwitchyard({ env, logger, roles: roles as Role[], embeddedRole: 'server' });
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal} received: shutting down gracefully`);
    const force = setTimeout(() => {
      logger.error('Shutdown took too long; exiting');
      process.exit(1);
    }, 30_000);
    force.unref();
    const sy = await starting.catch(() => undefined);
    // Stops in order: intake, workers, pools, and the embedded database last.
    await sy?.stop();
    logger.info('Stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  const sy = await starting;
  if (!stopping) process.stdout.write(`\n${sy.banner()}\n\n`);
}

main().catch((e: unknown) => {
  const name = e instanceof Error ? e.name : '';
  if (name === 'EnvError') {
    process.stderr.write(
      `\n${(e as Error).message}\n\nFix the variables above (see .env.example) and start again.\n`,
    );
  } else if (name === 'DatabaseInUseError') {
    process.stderr.write(`${(e as Error).message}\n`);
  } else {
    process.stderr.write(`\nSwitchyard could not start: ${e instanceof Error ? e.message : String(e)}\n`);
  }
  process.exit(1);
});
