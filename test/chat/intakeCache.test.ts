import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { CacheBus } from '../../src/models/cacheBus.js';
import {
  cachedChatIdentities,
  cachedWorkspaceTeams,
  linkStoreInvalidating,
} from '../../src/models/chatCache.js';
import { createChatIdentityStore } from '../../src/models/chatIdentityStore.js';
import { createDb, createPool, type Db } from '../../src/models/db.js';
import { createLinkStore } from '../../src/models/linkStore.js';
import { createTeamStore } from '../../src/models/teamStore.js';
import { createTestDatabase } from '../helpers/db.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Chat intake's per-process caches (the identity behind a chat user, the team of a chat workspace)
 * on a real PostgreSQL. `bus` is the serving process's cache bus; writes made without it stand for
 * another process, which the serving one hears of only through the database's NOTIFY. The tests
 * wait at most a second for that, the bound.
 */
const logger = createLogger({ level: 'silent' });
const SECOND = 1_000;
let url: string;
let pool: pg.Pool;
let db: Db;
let bus: CacheBus;

beforeAll(async () => {
  url = await createTestDatabase();
  pool = createPool(url, logger, 4);
  db = createDb(pool);
  bus = new CacheBus({ databaseUrl: url, logger });
  await bus.start();
});
afterAll(async () => {
  await bus?.stop();
  await pool?.end();
});

const stats = (name: string) => bus.stats()[name] ?? { hits: 0, misses: 0, size: 0 };
let seq = 0;
const slackKey = () => ({ platform: 'slack' as const, workspaceId: 'TCACHE', platformUserId: `U${++seq}` });
async function realUser(name: string): Promise<string> {
  const r = await pool.query(
    `INSERT INTO users (username, email, password_hash, role, status) VALUES ($1, $2, 'x', 'user', 'active') RETURNING id`,
    [name, `${name}@example.com`],
  );
  return r.rows[0].id;
}

describe('chat identities', () => {
  it('a known identity is answered from memory: the second command does not look it up', async () => {
    const identities = cachedChatIdentities(createChatIdentityStore(db), bus);
    const key = slackKey();
    const first = await identities.ensureGuest(key);
    const before = stats('chat.identities');
    const again = await identities.find(key);
    expect(again?.user.id).toBe(first.user.id);
    expect(stats('chat.identities').hits).toBe(before.hits + 1);
    expect(stats('chat.identities').misses).toBe(before.misses);
  });

  it('an identity linked to an account by another process answers with that account within a second', async () => {
    const identities = cachedChatIdentities(createChatIdentityStore(db), bus);
    const key = slackKey();
    const guest = await identities.ensureGuest(key);
    expect(guest.user.isGuest).toBe(true);
    const owner = await realUser(`cache-owner-${seq}`);

    const claimed = await createLinkStore(db).claim(owner, key, new Date());
    expect(claimed.ok).toBe(true);
    await waitFor(
      async () => (await identities.find(key))?.user.id === owner,
      'the link to be seen',
      SECOND,
      10,
    );
    expect((await identities.find(key))?.user).toMatchObject({ id: owner, isGuest: false });
  });

  it('a user suspended by another process is seen suspended within a second', async () => {
    const identities = cachedChatIdentities(createChatIdentityStore(db), bus);
    const key = slackKey();
    const guest = await identities.ensureGuest(key);
    await identities.find(key);
    await pool.query(`UPDATE users SET status = 'suspended' WHERE id = $1`, [guest.user.id]);
    await waitFor(
      async () => (await identities.find(key))?.user.status === 'suspended',
      'the suspension to be seen',
      SECOND,
      10,
    );
  });

  it('linking or unlinking in this process is seen at once, without waiting for the notice', async () => {
    const identities = cachedChatIdentities(createChatIdentityStore(db), bus);
    const links = linkStoreInvalidating(createLinkStore(db), bus);
    const key = slackKey();
    await identities.ensureGuest(key);
    const owner = await realUser(`cache-linker-${seq}`);

    const claimed = await links.claim(owner, key, new Date());
    expect(claimed.ok).toBe(true);
    expect((await identities.find(key))?.user.id).toBe(owner);

    const [linked] = await links.listLinked(owner);
    expect(await links.unlink(owner, linked!.id)).toBeTruthy();
    expect(await identities.find(key)).toBeNull();
  });
});

describe('the team of a chat workspace', () => {
  it('"no team" is remembered too, and a workspace attached or detached by another process is seen within a second', async () => {
    const other = createTeamStore(db);
    const teams = cachedWorkspaceTeams(createTeamStore(db), bus);
    const owner = await realUser('cache-team-owner');
    const team = await other.create({ name: 'Cache team', slug: 'cache-team', createdBy: owner });

    expect(await teams.teamForWorkspace('slack', 'TWS')).toBeNull();
    const before = stats('chat.workspaces');
    expect(await teams.teamForWorkspace('slack', 'TWS')).toBeNull();
    expect(stats('chat.workspaces').hits).toBe(before.hits + 1);

    const added = await other.addChatWorkspace({
      teamId: team.id,
      platform: 'slack',
      externalId: 'TWS',
      createdBy: owner,
    });
    if (added === 'taken') throw new Error('workspace taken');
    await waitFor(
      async () => (await teams.teamForWorkspace('slack', 'TWS')) === team.id,
      'the attached workspace to be seen',
      SECOND,
      10,
    );

    expect(await other.removeChatWorkspace(team.id, added.id)).toBe(true);
    await waitFor(
      async () => (await teams.teamForWorkspace('slack', 'TWS')) === null,
      'the detached workspace to be seen',
      SECOND,
      10,
    );
  });
});
