import type { Command } from 'commander';
import { z } from 'zod';
import { withSwitchyard } from './_boot.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

export function register(program: Command): void {
  program
    .command('create-admin')
    .description(
      'Create an admin account, or promote an existing user (same username or email) to admin and set the password',
    )
    .option('-u, --username <name>', 'username (default: ADMIN_USERNAME or "admin")')
    .option('-e, --email <email>', 'email (default: ADMIN_EMAIL)')
    .option(
      '-p, --password <password>',
      'password, at least 8 characters (default: ADMIN_PASSWORD); prefer --password-stdin',
    )
    .option('--password-stdin', 'read the password from standard input')
    .addHelpText(
      'after',
      '\nExample:\n  echo "s3cret-pass" | npm run cli -- create-admin --username alice --email alice@example.com --password-stdin',
    )
    .action(async (o: { username?: string; email?: string; password?: string; passwordStdin?: boolean }) => {
      const username = o.username ?? process.env.ADMIN_USERNAME ?? 'admin';
      const email = o.email ?? process.env.ADMIN_EMAIL;
      const password = o.passwordStdin ? await readStdin() : (o.password ?? process.env.ADMIN_PASSWORD);
      if (!email) throw new Error('An email is required: --email or ADMIN_EMAIL');
      if (!z.email().safeParse(email).success) throw new Error(`Not an email address: ${email}`);
      if (!password || password.length < 8)
        throw new Error(
          'A password of at least 8 characters is required: --password-stdin, --password or ADMIN_PASSWORD',
        );
      await withSwitchyard(async (sy) => {
        const r = await sy.auth.ensureAdmin({ username, email, password }, { onlyIfNoAdmin: false });
        process.stdout.write(
          `${r.created ? 'Created admin' : 'Promoted to admin'} "${r.user.username}" (${r.user.id})\n`,
        );
      });
    });
}
