import { describe, expect, it } from 'vitest';
import { help } from '../../src/core/commands/commands/help.js';
import { chatCommands } from '../../src/core/commands/commands/index.js';
import { status } from '../../src/core/commands/commands/status.js';
import { Composer } from '../../src/core/commands/composer.js';
import { parseCommand } from '../../src/core/commands/grammar.js';
import { ChatCommandHandler, type ChatHandlerDeps } from '../../src/core/commands/handler.js';
import type { ChatIdentityKey, ChatIdentityRecord } from '../../src/core/commands/ports.js';
import { settingDefaults } from '../../src/core/settings/settings.js';

/**
 * The dispatcher's seams without a database: which module runs, and who it runs for (a guest made
 * on first use, a linked user, a suspended one, or — for `link` only — nobody yet).
 */

const PORTAL = 'https://sy.example';
const key: ChatIdentityKey = { platform: 'slack', workspaceId: 'T1', platformUserId: 'U1' };

function identity(user: Partial<ChatIdentityRecord['user']> = {}): ChatIdentityRecord {
  return {
    id: 'ident-1',
    platform: 'slack',
    workspaceId: 'T1',
    platformUserId: 'U1',
    displayName: null,
    linkedAt: null,
    user: { id: 'user-1', username: 'alice', isGuest: false, status: 'active', role: 'user', ...user },
  };
}

function fakeChat(o: { found?: ChatIdentityRecord | null; requireLinked?: boolean } = {}) {
  const calls = {
    guests: 0,
    listRecentFor: [] as string[],
    redeemedFor: [] as (string | null)[],
    cancels: 0,
  };
  const ledger = new Map<string, Record<string, unknown> | null>();
  const deps = {
    tasks: {
      async listRecent(userId: string) {
        calls.listRecentFor.push(userId);
        return [];
      },
      async get() {
        return null;
      },
      async cancel() {
        calls.cancels++;
        throw new Error('not reached: no such task');
      },
    },
    identities: {
      find: async () => o.found ?? null,
      async ensureGuest() {
        calls.guests++;
        return identity({ id: 'guest-1', username: 'guest-u1', isGuest: true });
      },
    },
    links: {
      async redeem(_code: string, _key: ChatIdentityKey, currentUserId: string | null) {
        calls.redeemedFor.push(currentUserId);
        return { ok: true, username: 'alice', alreadyLinked: false, movedTasks: 0 };
      },
    },
    admission: {
      read: async ({ source, deliveryId }: { source: string; deliveryId: string }) => ({
        seen: ledger.has(`${source}:${deliveryId}`)
          ? { taskId: null, response: ledger.get(`${source}:${deliveryId}`) ?? null }
          : null,
        count: 1,
        retryAfterSeconds: 0,
      }),
    },
    ledger: {
      lookup: async (s: string, id: string) =>
        ledger.has(`${s}:${id}`) ? { taskId: null, response: ledger.get(`${s}:${id}`) ?? null } : null,
      async claim(s: string, id: string) {
        if (ledger.has(`${s}:${id}`)) return false;
        ledger.set(`${s}:${id}`, null);
        return true;
      },
      async saveResponse(s: string, id: string, response: Record<string, unknown>) {
        ledger.set(`${s}:${id}`, response);
      },
    },
    settings: {
      getAll: async () => ({ ...settingDefaults, 'chat.requireLinkedAccount': o.requireLinked ?? false }),
    },
    publicUrl: () => PORTAL,
    log: { warn() {}, error() {} },
  } as unknown as ChatHandlerDeps;
  const handler = new ChatCommandHandler(deps);
  let n = 0;
  const say = (text: string, deliveryId = `d${++n}`) =>
    handler.handle({
      identity: key,
      parsed: parseCommand(text),
      delivery: { source: 'slack', id: deliveryId },
      origin: {},
    });
  return { say, calls };
}

describe('chat commands composed as modules', () => {
  it('has exactly one module for every command of the grammar and every button', () => {
    expect(() => chatCommands()).not.toThrow();
    expect(() => new Composer().command(help).command(status).complete()).toThrow(
      /without a module: generate, tasks, cancel, share, link, providers, comment, approve, button regenerate/,
    );
    expect(() => new Composer().command(status).command(status)).toThrow(/status is composed twice/);
  });

  it('runs a first command for a new identity as a guest made for it', async () => {
    const { say, calls } = fakeChat();
    const reply = await say('tasks');
    expect(reply.text).toBe('You have no tasks yet. Try: /sy generate Write a haiku about the sea');
    expect(calls.guests).toBe(1);
    expect(calls.listRecentFor).toEqual(['guest-1']);
  });

  it('runs commands for a linked identity as its user, and refuses a suspended one', async () => {
    const linked = fakeChat({ found: identity({ id: 'user-7' }) });
    expect((await linked.say('tasks')).text).toContain('You have no tasks yet');
    expect(linked.calls).toMatchObject({ guests: 0, listRecentFor: ['user-7'] });

    const suspended = fakeChat({ found: identity({ status: 'suspended' }) });
    expect((await suspended.say('tasks')).text).toBe(
      'This Switchyard account is suspended, so I can’t run commands for it. Ask an administrator.',
    );
    expect(suspended.calls.listRecentFor).toEqual([]);
  });

  it('with chat.requireLinkedAccount, asks a new identity to link first (no guest); link itself still runs', async () => {
    const { say, calls } = fakeChat({ requireLinked: true });
    expect((await say('tasks')).text).toBe(
      `To use Switchyard here, link your account first: sign in at ${PORTAL}/links, get a code, then send /sy link <code>.`,
    );
    expect((await say('link ABCD-1234')).text).toContain('🔗 Linked! This Slack account now works as alice');
    expect(calls.guests).toBe(0);
    expect(calls.redeemedFor).toEqual([null]);
  });

  it('runs a command with side effects once per delivery and replays its reply', async () => {
    const { say, calls } = fakeChat({ found: identity() });
    const first = await say('cancel 0000abcd', 'same');
    const again = await say('cancel 0000abcd', 'same');
    expect(first.text).toBe('I can’t find task 0000abcd among your recent tasks.');
    expect(again).toMatchObject({ text: first.text, duplicate: true });
    expect(calls.listRecentFor).toEqual(['user-1']);
  });

  it('answers help without looking anyone up', async () => {
    const { say, calls } = fakeChat();
    expect((await say('help')).text).toContain('Switchyard commands:');
    expect(calls.guests).toBe(0);
  });
});
