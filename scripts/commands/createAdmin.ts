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

type Options = {
  username?: string;
  email?: string;
  password?: string;
  passwordStdin?: boolean;
  promote?: string;
};

export function register(program: Command): void {
  program
    .command('create-admin')
    .description(
      'Create a new admin account. An existing account (same username or email) is never promoted by name: ' +
        'promote it by id with --promote <userId>, which revokes all its sessions and API tokens',
    )
    .option('-u, --username <name>', 'username (default: ADMIN_USERNAME or "admin")')
    .option('-e, --email <email>', 'email (default: ADMIN_EMAIL)')
    .option(
      '-p, --password <password>',
      'password, at least 8 characters (default: ADMIN_PASSWORD); prefer --password-stdin',
    )
    .option('--password-stdin', 'read the password from standard input')
    .option(
      '--promote <userId>',
      'make this existing account (by id) an admin; its password is not changed, and all its sessions and API tokens are revoked',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  echo "s3cret-pass" | npm run cli -- create-admin --username alice --email alice@example.com --password-stdin' +
        '\n  npm run cli -- create-admin --promote 2b1f0c8e-5d1a-4c3e-9f57-0a6b1c2d3e4f',
    )
    .action(async (o: Options) => {
      if (o.promote !== undefined) return promote(o);
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
        if (r.outcome === 'taken')
          throw new Error(
            `Refused: ${r.message}. Nothing was changed. Or pick another --username/--email for a new admin.`,
          );
        if (r.outcome !== 'created') throw new Error('No admin was created');
        process.stdout.write(`Created admin "${r.user.username}" (${r.user.id})\n`);
      });
    });
}

async function promote(o: Options): Promise<void> {
  const id = o.promote ?? '';
  if (o.username !== undefined || o.email !== undefined || o.password !== undefined || o.passwordStdin)
    throw new Error(
      '--promote only changes the role of an existing account; leave out --username, --email and --password',
    );
  if (!z.uuid().safeParse(id).success)
    throw new Error(`--promote takes a user id (a UUID, as listed by GET /api/admin/users): ${id}`);
  await withSwitchyard(async (sy) => {
    const r = await sy.auth.promoteToAdmin(id, { via: 'cli' });
    if (!r.changed) {
      process.stdout.write(`"${r.user.username}" (${r.user.id}) is already an admin; nothing changed\n`);
      return;
    }
    process.stdout.write(
      `Promoted "${r.user.username}" (${r.user.id}) to admin; revoked ${r.sessionsRevoked} session(s) and ` +
        `${r.apiTokensRevoked} API token(s): they sign in again to act as admin\n`,
    );
    if (r.user.status === 'suspended')
      process.stdout.write('Note: this account is suspended; reactivate it to let it sign in\n');
  });
}
