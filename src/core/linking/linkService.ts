import type { AuditSink } from '../audit/audit.js';
import { type Clock, systemClock } from '../clock.js';
import { notFound } from '../errors.js';
import type { TaskCommands } from '../tasks/types.js';
import type { IdentityKey } from './identity.js';
import { generateLinkCode, hashLinkCode, LINK_CODE_TTL_MS, normalizeLinkCode } from './linkCodes.js';

/**
 * Account linking: a signed-in user gets a short code, types `link <code>` in any chat, and that
 * chat identity (platform, workspace, user) becomes theirs. Tasks made while it was a guest move
 * with it; every step is audited.
 */
export interface LinkedIdentity {
  id: string;
  platform: string;
  workspaceId: string;
  platformUserId: string;
  displayName: string | null;
  linkedAt: Date | null;
}

export type RedeemFailure = 'unknown' | 'expired' | 'used' | 'suspended';

export type RedeemOutcome =
  | {
      ok: true;
      identityId: string;
      user: { id: string; username: string };
      /** Who owned the identity before (null when it is new). */
      previous: { userId: string; isGuest: boolean } | null;
    }
  | { ok: false; reason: RedeemFailure };

export interface LinkStore {
  createCode(userId: string, codeHash: string, expiresAt: Date): Promise<void>;
  /**
   * In one transaction: spends the code (unused and unexpired, else says why not), checks its user
   * is active, and points the identity at that user (creating it if new), marking it linked.
   */
  redeem(codeHash: string, identity: IdentityKey, now: Date): Promise<RedeemOutcome>;
  /** As redeem, for a user who proved the identity otherwise (signing in with Slack or Discord). */
  claim(userId: string, identity: IdentityKey, now: Date): Promise<RedeemOutcome>;
  listLinked(userId: string): Promise<LinkedIdentity[]>;
  /** Removes one of the user's linked identities; null when it is not theirs. */
  unlink(userId: string, identityId: string): Promise<LinkedIdentity | null>;
}

export type LinkResult =
  | { ok: true; username: string; alreadyLinked: boolean; movedTasks: number }
  | { ok: false; reason: RedeemFailure };

export class LinkService {
  constructor(
    private readonly deps: {
      store: LinkStore;
      tasks: Pick<TaskCommands, 'reassignUser'>;
      audit: AuditSink;
      log: { warn(message: string, meta?: Record<string, unknown>): void };
      now?: Clock;
    },
  ) {}

  private now(): Date {
    return (this.deps.now ?? systemClock)();
  }

  async createCode(
    userId: string,
    meta: { ip?: string | null } = {},
  ): Promise<{ code: string; expiresAt: Date }> {
    const code = generateLinkCode();
    const expiresAt = new Date(this.now().getTime() + LINK_CODE_TTL_MS);
    await this.deps.store.createCode(userId, hashLinkCode(normalizeLinkCode(code)!), expiresAt);
    await this.deps.audit.record({
      actorId: userId,
      action: 'link.code_created',
      targetType: 'user',
      targetId: userId,
      ip: meta.ip ?? null,
      details: { expiresAt: expiresAt.toISOString() },
    });
    return { code, expiresAt };
  }

  /** Claims an identity (a chat account; GitHub senders are kept the same way) for the code's user; a guest's tasks follow. */
  async redeem(code: string, identity: IdentityKey, actorId: string | null): Promise<LinkResult> {
    const normalized = normalizeLinkCode(code);
    const who = {
      platform: identity.platform,
      workspaceId: identity.workspaceId,
      platformUserId: identity.platformUserId,
    };
    if (!normalized) {
      await this.deps.audit.record({
        actorId,
        action: 'link.failed',
        targetType: 'chat_identity',
        details: { ...who, reason: 'unknown' },
      });
      return { ok: false, reason: 'unknown' };
    }
    const out = await this.deps.store.redeem(hashLinkCode(normalized), identity, this.now());
    if (!out.ok) {
      await this.deps.audit.record({
        actorId,
        action: 'link.failed',
        targetType: 'chat_identity',
        details: { ...who, reason: out.reason },
      });
      return out;
    }
    const alreadyLinked = out.previous?.userId === out.user.id;
    const movedTasks = alreadyLinked ? 0 : await this.moveGuestTasks(out.previous, out.user.id);
    await this.deps.audit.record({
      actorId: out.user.id,
      action: 'link.created',
      targetType: 'chat_identity',
      targetId: out.identityId,
      details: {
        ...who,
        previousUserId: out.previous?.userId ?? null,
        previousWasGuest: out.previous?.isGuest ?? false,
        movedTasks,
        alreadyLinked,
      },
    });
    return { ok: true, username: out.user.username, alreadyLinked, movedTasks };
  }

  /** Links a chat identity the user proved by signing in with that platform; a guest's tasks follow. */
  async claimProven(userId: string, identity: IdentityKey): Promise<void> {
    const out = await this.deps.store.claim(userId, identity, this.now());
    if (!out.ok) return;
    const alreadyLinked = out.previous?.userId === out.user.id;
    const movedTasks = alreadyLinked ? 0 : await this.moveGuestTasks(out.previous, out.user.id);
    if (!alreadyLinked)
      await this.deps.audit.record({
        actorId: out.user.id,
        action: 'link.created',
        targetType: 'chat_identity',
        targetId: out.identityId,
        details: {
          platform: identity.platform,
          workspaceId: identity.workspaceId,
          platformUserId: identity.platformUserId,
          via: 'sso',
          previousUserId: out.previous?.userId ?? null,
          movedTasks,
        },
      });
  }

  /**
   * A guest identity's tasks follow it to the user who linked it; returns how many moved. When the
   * move fails the link stands and the tasks stay where they were (logged for an operator).
   */
  private async moveGuestTasks(
    previous: { userId: string; isGuest: boolean } | null,
    userId: string,
  ): Promise<number> {
    if (!previous?.isGuest) return 0;
    try {
      return await this.deps.tasks.reassignUser(previous.userId, userId);
    } catch (e) {
      this.deps.log.warn('Linked a chat identity but could not move its guest tasks', {
        guestUserId: previous.userId,
        err: (e as Error).message,
      });
      return 0;
    }
  }

  list(userId: string): Promise<LinkedIdentity[]> {
    return this.deps.store.listLinked(userId);
  }

  async unlink(userId: string, identityId: string, meta: { ip?: string | null } = {}): Promise<void> {
    const removed = await this.deps.store.unlink(userId, identityId);
    if (!removed) throw notFound('Linked account');
    await this.deps.audit.record({
      actorId: userId,
      action: 'link.removed',
      targetType: 'chat_identity',
      targetId: identityId,
      ip: meta.ip ?? null,
      details: {
        platform: removed.platform,
        workspaceId: removed.workspaceId,
        platformUserId: removed.platformUserId,
      },
    });
  }
}
