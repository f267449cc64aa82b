import type { Command } from 'commander';
import { withSwitchyard } from './_boot.js';

export function register(program: Command): void {
  program
    .command('db:migrate')
    .description(
      'Apply pending database migrations and create the job queues (DATABASE_URL, or the embedded database under DATA_DIR)',
    )
    .action(async () => {
      await withSwitchyard(async (sy) => {
        process.stdout.write(`Database is up to date: ${sy.databaseLabel}\n`);
      });
    });
}
