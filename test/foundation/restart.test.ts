import { readFileSync } from 'node:fs';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { migrationsFolder } from '../../src/models/db.js';
import { client, registerUser, startTestApp } from '../helpers/app.js';

describe('restarts', () => {
  it('keeps data across a restart and re-applies no migration', async () => {
    const first = await startTestApp({ roles: ['api'] });
    const u = await registerUser(first.url);
    const token = await u.api.post('/api/auth/tokens', { name: 'survives' });
    await first.close();

    const second = await startTestApp({ roles: ['api'], databaseUrl: first.databaseUrl });
    try {
      const login = await client(second.url).post('/api/auth/login', {
        username: u.user.username,
        password: u.password,
      });
      expect(login.status).toBe(200);
      expect((await client(second.url, token.body.token).get('/api/auth/me')).body.user.id).toBe(u.user.id);

      const journal = JSON.parse(readFileSync(`${migrationsFolder}/meta/_journal.json`, 'utf8')) as {
        entries: unknown[];
      };
      const c = new pg.Client({ connectionString: first.databaseUrl });
      await c.connect();
      try {
        const applied = await c.query('SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations');
        expect(applied.rows[0].n).toBe(journal.entries.length);
        const admins = await c.query(`SELECT count(*)::int AS n FROM users WHERE role = 'admin'`);
        expect(admins.rows[0].n).toBe(1);
      } finally {
        await c.end();
      }
    } finally {
      await second.close();
    }
  });
});
