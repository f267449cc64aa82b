import { createHash, randomBytes } from 'node:crypto';
import type { Actor } from '../actor.js';
import type { AuditSink } from '../audit/audit.js';
import { type Clock, systemClock } from '../clock.js';
import { AppError, badRequest, conflict, notFound } from '../errors.js';
import { authorizeTeam, canGrant, type TeamRole, type TeamViewer } from './authorization.js';
import type {
  ChatWorkspacePlatform,
  ChatWorkspaceRecord,
  InviteMailer,
  TeamMemberRecord,
  TeamRecord,
  TeamStore,
} from './ports.js';

export type TeamView = TeamRecord & { role: TeamRole | null };

export const INVITE_MIN_MINUTES = 10;
export const INVITE_MAX_MINUTES = 7 * 24 * 60;
export const INVITE_DEFAULT_MINUTES = 3 * 24 * 60;

export const hashInviteToken = (token: string) => createHash('sha256').update(token).digest('hex');

function slugify(name: string): string {
  const base = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  return `${base || 'team'}-${randomBytes(3).toString('hex')}`;
}

/**
 * Team use cases: teams, members and roles (the last owner protected), single-use invites and chat
 * workspaces. Every check goes through the one matrix in ./authorization.ts.
 */
export class TeamService {
  constructor(
    private readonly deps: {
      store: TeamStore;
      audit?: AuditSink;
      /** Set when SMTP is configured; otherwise the invite URL is only returned to the caller. */
      mailer?: InviteMailer;
      inviteUrl: (token: string) => string;
      now?: Clock;
    },
  ) {}

  private now() {
    return (this.deps.now ?? systemClock)();
  }

  /** The caller's standing in a team (404 when the team does not exist). */
  async viewer(teamId: string, actor: Actor): Promise<{ team: TeamRecord; viewer: TeamViewer }> {
    const team = await this.deps.store.get(teamId);
    if (!team) throw notFound('Team');
    const teamRole = await this.deps.store.roleOf(teamId, actor.userId);
    return { team, viewer: { teamRole, siteAdmin: actor.isAdmin } };
  }

  /** The caller's role in the team, or null; for other areas' visibility checks. */
  roleOf(teamId: string, userId: string): Promise<TeamRole | null> {
    return this.deps.store.roleOf(teamId, userId);
  }

  teamIdsOf(userId: string): Promise<string[]> {
    return this.deps.store.teamIdsOf(userId);
  }

  async exists(teamId: string): Promise<boolean> {
    return (await this.deps.store.get(teamId)) !== null;
  }

  /**
   * Adds a user to a team without an invite (e.g. the `auth.defaultTeam` setting for new SSO users).
   * An existing membership keeps its role. True when the user was added.
   */
  async addMember(teamId: string, userId: string, role: TeamRole = 'member'): Promise<boolean> {
    const team = await this.deps.store.get(teamId);
    if (!team) throw notFound('Team');
    const added = await this.deps.store.addMember(teamId, userId, role);
    if (added) await this.record(null, 'team.member.add', teamId, null, { userId, role });
    return added;
  }

  async create(actor: Actor, name: string): Promise<TeamView> {
    const team = await this.deps.store.create({ name, slug: slugify(name), createdBy: actor.userId });
    await this.record(actor.userId, 'team.create', team.id, actor.ip);
    return { ...team, role: 'owner' };
  }

  async list(actor: Actor, all: boolean): Promise<TeamView[]> {
    if (all && !actor.isAdmin) throw new AppError('forbidden', 'Only admins can list every team');
    return this.deps.store.listFor(actor.userId, all);
  }

  async get(
    teamId: string,
    actor: Actor,
  ): Promise<TeamView & { members: TeamMemberRecord[]; chatWorkspaces: ChatWorkspaceRecord[] }> {
    const { team, viewer } = await this.viewer(teamId, actor);
    authorizeTeam(viewer, 'team.read');
    const [members, chatWorkspaces] = await Promise.all([
      this.deps.store.members(teamId),
      this.deps.store.chatWorkspaces(teamId),
    ]);
    return { ...team, role: viewer.teamRole, members, chatWorkspaces };
  }

  async update(teamId: string, actor: Actor, patch: { name?: string }): Promise<TeamView> {
    const { viewer } = await this.viewer(teamId, actor);
    authorizeTeam(viewer, 'team.update');
    const team = await this.deps.store.update(teamId, patch);
    if (!team) throw notFound('Team');
    await this.record(actor.userId, 'team.update', teamId, actor.ip, { fields: Object.keys(patch) });
    return { ...team, role: viewer.teamRole };
  }

  async invite(
    teamId: string,
    actor: Actor,
    input: { email?: string; role: TeamRole; expiresInMinutes?: number },
  ): Promise<{ id: string; url: string; token: string; expiresAt: Date; emailed: boolean }> {
    const { team, viewer } = await this.viewer(teamId, actor);
    authorizeTeam(viewer, 'members.invite');
    if (!canGrant(viewer, input.role))
      throw new AppError('forbidden', 'Only an owner can invite another owner');
    const minutes = input.expiresInMinutes ?? INVITE_DEFAULT_MINUTES;
    if (minutes < INVITE_MIN_MINUTES || minutes > INVITE_MAX_MINUTES)
      throw badRequest('An invite lasts 10 minutes to 7 days', [
        { field: 'body.expiresInMinutes', message: 'between 10 and 10080', code: 'too_small' },
      ]);
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(this.now().getTime() + minutes * 60_000);
    const invite = await this.deps.store.createInvite({
      teamId,
      tokenHash: hashInviteToken(token),
      email: input.email ?? null,
      role: input.role,
      createdBy: actor.userId,
      expiresAt,
    });
    const url = this.deps.inviteUrl(token);
    let emailed = false;
    if (input.email && this.deps.mailer) {
      await this.deps.mailer.send({ to: input.email, teamName: team.name, url, role: input.role, expiresAt });
      emailed = true;
    }
    await this.record(actor.userId, 'team.invite', teamId, actor.ip, {
      inviteId: invite.id,
      role: input.role,
      emailed,
    });
    return { id: invite.id, url, token, expiresAt, emailed };
  }

  async accept(token: string, actor: Actor): Promise<TeamView> {
    const out = await this.deps.store.acceptInvite(hashInviteToken(token), actor.userId, this.now());
    if (!out.ok) {
      if (out.reason === 'unknown') throw notFound('Invite');
      throw out.reason === 'used'
        ? new AppError('invite_used', 'This invite has already been used')
        : new AppError('invite_expired', 'This invite has expired');
    }
    await this.record(actor.userId, 'team.invite.accept', out.teamId, actor.ip);
    const team = await this.deps.store.get(out.teamId);
    if (!team) throw notFound('Team');
    return { ...team, role: await this.deps.store.roleOf(out.teamId, actor.userId) };
  }

  async setRole(teamId: string, userId: string, role: TeamRole, actor: Actor): Promise<TeamMemberRecord> {
    const { viewer } = await this.viewer(teamId, actor);
    authorizeTeam(viewer, 'members.manage');
    const current = await this.deps.store.roleOf(teamId, userId);
    if (!current) throw notFound('Member');
    // Only an owner makes or unmakes owners.
    if ((current === 'owner' || role === 'owner') && !canGrant(viewer, 'owner'))
      throw new AppError('forbidden', 'Only an owner can change who is an owner');
    const out = await this.deps.store.changeMember(teamId, userId, { role });
    if (out === null) throw notFound('Member');
    if (out === 'last_owner')
      throw conflict('The last owner cannot be demoted; make someone else owner first');
    await this.record(actor.userId, 'team.member.role', teamId, actor.ip, { userId, role });
    const m = (await this.deps.store.members(teamId)).find((x) => x.userId === userId);
    if (!m) throw notFound('Member');
    return m;
  }

  /** Removes a member (team admins; anyone may leave). Their own tasks, content and other teams stay theirs. */
  async removeMember(teamId: string, userId: string, actor: Actor): Promise<void> {
    const { viewer } = await this.viewer(teamId, actor);
    if (userId !== actor.userId) authorizeTeam(viewer, 'members.manage');
    else authorizeTeam(viewer, 'team.read');
    const current = await this.deps.store.roleOf(teamId, userId);
    if (!current) throw notFound('Member');
    if (current === 'owner' && userId !== actor.userId && !canGrant(viewer, 'owner'))
      throw new AppError('forbidden', 'Only an owner can remove an owner');
    const out = await this.deps.store.changeMember(teamId, userId, 'remove');
    if (out === null) throw notFound('Member');
    if (out === 'last_owner') throw conflict('The last owner cannot leave; make someone else owner first');
    await this.record(actor.userId, 'team.member.remove', teamId, actor.ip, { userId });
  }

  async addChatWorkspace(
    teamId: string,
    actor: Actor,
    input: { platform: ChatWorkspacePlatform; externalId: string },
  ): Promise<ChatWorkspaceRecord> {
    const { viewer } = await this.viewer(teamId, actor);
    authorizeTeam(viewer, 'chatWorkspaces.manage');
    const out = await this.deps.store.addChatWorkspace({ teamId, ...input, createdBy: actor.userId });
    if (out === 'taken') throw conflict('This chat workspace is already attached to a team');
    await this.record(actor.userId, 'team.chatWorkspace.add', teamId, actor.ip, input);
    return out;
  }

  async removeChatWorkspace(teamId: string, id: string, actor: Actor): Promise<void> {
    const { viewer } = await this.viewer(teamId, actor);
    authorizeTeam(viewer, 'chatWorkspaces.manage');
    if (!(await this.deps.store.removeChatWorkspace(teamId, id))) throw notFound('Chat workspace');
    await this.record(actor.userId, 'team.chatWorkspace.remove', teamId, actor.ip, { id });
  }

  /** The team a chat workspace (Slack team id, Discord guild id, Telegram chat id) belongs to. */
  teamForWorkspace(platform: ChatWorkspacePlatform, externalId: string): Promise<string | null> {
    return this.deps.store.teamForWorkspace(platform, externalId);
  }

  /**
   * For intake with a `teamId`: the caller must be allowed `action` in that team (outsiders: 404
   * on the team, so its existence does not leak).
   */
  async require(teamId: string, actor: Actor, action: Parameters<typeof authorizeTeam>[1]) {
    const { viewer } = await this.viewer(teamId, actor);
    authorizeTeam(viewer, action);
  }

  private async record(
    actorId: string | null,
    action: string,
    teamId: string,
    ip?: string | null,
    details?: Record<string, unknown>,
  ) {
    await this.deps.audit?.record({
      actorId,
      action,
      targetType: 'team',
      targetId: teamId,
      ip: ip ?? null,
      ...(details ? { details } : {}),
    });
  }
}
