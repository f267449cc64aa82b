import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { migrationsFolder } from '../../src/models/db.js';

/** Migrations folder holding only the first `n` migrations (the journal cut to match). */
function firstMigrations(n: number): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'sy-mig-'));
  cpSync(migrationsFolder, dir, { recursive: true });
  const journalPath = path.join(dir, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8'));
  journal.entries = journal.entries.slice(0, n);
  writeFileSync(journalPath, JSON.stringify(journal));
  return dir;
}

describe('migration 0003_teams', () => {
  it('keeps every existing row valid and personal (team_id null)', async () => {
    const adminUrl = inject('pgAdminUrl');
    const name = `sy_mig_${randomBytes(5).toString('hex')}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const u = new URL(adminUrl);
    u.pathname = `/${name}`;
    const c = new pg.Client({ connectionString: u.toString() });
    await c.connect();
    try {
      const journal = JSON.parse(readFileSync(`${migrationsFolder}/meta/_journal.json`, 'utf8'));
      const before = journal.entries.findIndex((e: { tag: string }) => e.tag === '0003_teams');
      expect(before).toBe(3);
      await migrate(drizzle(c), { migrationsFolder: firstMigrations(before) });

      // Rows as an existing installation has them.
      const [user] = (
        await c.query(`INSERT INTO users (username, email) VALUES ('old', 'old@example.com') RETURNING id`)
      ).rows;
      const [task] = (
        await c.query(
          `INSERT INTO tasks (user_id, title, description, task_type) VALUES ($1, 't', 'd', 'summary') RETURNING id`,
          [user.id],
        )
      ).rows;
      await c.query(
        `INSERT INTO content (task_id, user_id, title, content_data) VALUES ($1, $2, 'c', 'body')`,
        [task.id, user.id],
      );
      const [prov] = (
        await c.query(`INSERT INTO ai_providers (name, kind) VALUES ('p', 'mock') RETURNING id`)
      ).rows;
      await c.query(
        `INSERT INTO provider_accounts (provider_id, account_name, token_limit) VALUES ($1, 'a', 1000)`,
        [prov.id],
      );
      await c.query(
        `INSERT INTO webhooks (name, task_type, prompt_template, secret, created_by) VALUES ('h', 'summary', '{{x}}', 's', $1)`,
        [user.id],
      );

      await migrate(drizzle(c), { migrationsFolder });

      for (const table of ['tasks', 'content', 'provider_accounts', 'webhooks']) {
        const r = await c.query(`SELECT count(*)::int AS n, count(team_id)::int AS teamed FROM ${table}`);
        expect(r.rows[0], table).toEqual({ n: 1, teamed: 0 });
      }
      const teams = await c.query('SELECT count(*)::int AS n FROM teams');
      expect(teams.rows[0].n).toBe(0);
      // The providers cache still hears about account changes, team_id included.
      const trig = await c.query(
        `SELECT pg_get_triggerdef(oid) AS def FROM pg_trigger WHERE tgname = 'provider_accounts_cache_notify'`,
      );
      expect(trig.rows[0].def).toContain('team_id');
    } finally {
      await c.end();
      const a2 = new pg.Client({ connectionString: adminUrl });
      await a2.connect();
      await a2.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a2.end();
    }
    // CREATE DATABASE and thirteen migrations on a busy machine's embedded server took over 30 s once.
  }, 120_000);
});
