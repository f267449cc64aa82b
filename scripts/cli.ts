/**
 * `npm run cli -- <command>` (or `tsx scripts/cli.ts <command>`): Switchyard's command line.
 * Every command lives in scripts/commands/<name>.ts and exports `register(program)`; this file finds
 * them, so adding a command means adding a file. `--help` works on the program and on every command.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { exitIfUnsupportedNode } from '../src/nodeVersion.js';

// Before the commands (and the application behind them) load: one clear line on an old Node.js.
exitIfUnsupportedNode();

export type RegisterCommand = (program: Command) => void;

const here = path.dirname(fileURLToPath(import.meta.url));

async function main() {
  const { Command, CommanderError } = await import('commander');
  const program = new Command('switchyard')
    .description('Switchyard command line: submit tasks, manage the database and admins')
    .showHelpAfterError()
    .exitOverride();

  const dir = path.join(here, 'commands');
  const files = readdirSync(dir)
    .filter(
      (f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts') && !f.endsWith('.test.ts') && !f.startsWith('_'),
    )
    .sort();
  for (const f of files) {
    const mod = (await import(pathToFileURL(path.join(dir, f)).href)) as { register?: RegisterCommand };
    if (typeof mod.register === 'function') mod.register(program);
  }

  try {
    await program.parseAsync(process.argv);
  } catch (e) {
    if (e instanceof CommanderError) process.exit(e.exitCode);
    throw e;
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`\n${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
