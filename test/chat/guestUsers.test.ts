import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashLinkCode } from '../../src/core/linking/linkCodes.js';
import { createLogger } from '../../src/logger.js';
import { createDb, createPool, type Db } from '../../src/models/db.js';
import { findIdentity, findOrCreateGuestForIdentity } from '../../src/models/guestUsers.js';
import { createLinkStore } from '../../src/models/linkStore.js';
import { createIdentityDirectory } from '../../src/models/webhookStore.js';
import { createTestDatabase } from '../helpers/db.js';

/** The one guest-user implementation (chat users and GitHub senders) against a real PostgreSQL. */
describe('guest users per identity', () => {
  let pool: pg.Pool;
  let db: Db;

  beforeAll(async () => {
    pool = createPool(await createTestDatabase(), createLogger({ level: 'silent' }), 20);
    db = createDb(pool);
  });
  afterAll(() => pool.end());

  const guestsOf = async (platform: string, platformUserId: string) =>
    (
      await pool.query(
        `SELECT u.id, u.username, u.is_guest, u.password_hash, u.email, i.workspace_id, i.display_name
           FROM chat_identities i JOIN users u ON u.id = i.user_id
          WHERE i.platform = $1 AND i.platform_user_id = $2`,
        [platform, platformUserId],
      )
    ).rows;
  const userCount = async () => Number((await pool.query('SELECT count(*) AS n FROM users')).rows[0].n);

  it('makes one guest for a chat identity under concurrent first requests', async () => {
    const before = await userCount();
    const key = { platform: 'slack' as const, workspaceId: 'T9', platformUserId: 'U9', displayName: 'Ann' };
    const all = await Promise.all(Array.from({ length: 12 }, () => findOrCreateGuestForIdentity(db, key)));
    expect(new Set(all.map((r) => r.user.id)).size).toBe(1);
    expect(all[0]).toMatchObject({
      platform: 'slack',
      workspaceId: 'T9',
      platformUserId: 'U9',
      displayName: 'Ann',
      linkedAt: null,
      user: { username: 'slack-T9-U9', isGuest: true, status: 'active', role: 'user' },
    });
    // The losers' half-made guests rolled back.
    expect(await userCount()).toBe(before + 1);
  });

  it('makes one guest for a GitHub sender the same way, kept in chat_identities as platform github', async () => {
    const before = await userCount();
    const directory = createIdentityDirectory(db);
    const who = await Promise.all(
      Array.from({ length: 12 }, () =>
        directory.resolve({ platform: 'github', platformUserId: '4242', displayName: 'octo' }),
      ),
    );
    expect(new Set(who.map((w) => w.userId)).size).toBe(1);
    expect(who[0]!.isGuest).toBe(true);
    const rows = await guestsOf('github', '4242');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      id: who[0]!.userId,
      is_guest: true,
      password_hash: null,
      email: null,
      workspace_id: '',
      display_name: 'octo',
    });
    expect(rows[0].username).toMatch(/^github:octo:[0-9a-f]{8}$/);
    expect(await userCount()).toBe(before + 1);
  });

  it('suffixes a chat guest whose plain name a real account already holds', async () => {
    await pool.query(`INSERT INTO users (username) VALUES ('telegram-31337')`);
    const r = await findOrCreateGuestForIdentity(db, {
      platform: 'telegram',
      workspaceId: '',
      platformUserId: '31337',
    });
    expect(r.user.isGuest).toBe(true);
    expect(r.user.username).toMatch(/^telegram-31337-[0-9a-f]{6}$/);
  });

  it('answers with the linked account, and a GitHub identity can be linked like a chat one', async () => {
    const [real] = (
      await pool.query(`INSERT INTO users (username, email) VALUES ('dev', 'dev@example.com') RETURNING id`)
    ).rows;
    const key = { platform: 'github' as const, workspaceId: '', platformUserId: '5151', displayName: 'dev' };
    const guest = await findOrCreateGuestForIdentity(db, key);
    expect(guest.user.isGuest).toBe(true);

    const links = createLinkStore(db);
    await links.createCode(real.id, hashLinkCode('ABCD2345'), new Date(Date.now() + 60_000));
    const out = await links.redeem(hashLinkCode('ABCD2345'), key, new Date());
    expect(out).toMatchObject({
      ok: true,
      identityId: guest.id,
      previous: { userId: guest.user.id, isGuest: true },
    });

    const after = await findOrCreateGuestForIdentity(db, key);
    expect(after.user).toMatchObject({ id: real.id, isGuest: false });
    expect(after.linkedAt).toBeInstanceOf(Date);
    expect(await findIdentity(db, key)).toMatchObject({ id: guest.id, user: { id: real.id } });
    expect(
      await createIdentityDirectory(db).resolve({
        platform: 'github',
        platformUserId: '5151',
        displayName: 'dev',
      }),
    ).toEqual({ userId: real.id, isGuest: false, status: 'active' });
  });
});
