import type { TeamRole } from './authorization.js';

/** What the team use cases need from storage (src/models/teamStore.ts) and mail (src/mail). */

export type ChatWorkspacePlatform = 'slack' | 'discord' | 'telegram';

export interface TeamRecord {
  id: string;
  name: string;
  slug: string;
  createdAt: Date;
}

export interface TeamMemberRecord {
  userId: string;
  username: string;
  role: TeamRole;
  joinedAt: Date;
}

export interface ChatWorkspaceRecord {
  id: string;
  teamId: string;
  platform: ChatWorkspacePlatform;
  externalId: string;
  createdAt: Date;
}

export interface InviteRecord {
  id: string;
  teamId: string;
  role: TeamRole;
  email: string | null;
  expiresAt: Date;
}

export type AcceptOutcome =
  | { ok: true; teamId: string; role: TeamRole }
  | { ok: false; reason: 'unknown' | 'used' | 'expired' };

export interface TeamStore {
  /** Creates the team and its first owner in one transaction. */
  create(team: { name: string; slug: string; createdBy: string }): Promise<TeamRecord>;
  get(id: string): Promise<TeamRecord | null>;
  update(id: string, patch: { name?: string }): Promise<TeamRecord | null>;
  /** The user's teams with their role; `all` lists every team (role null where not a member). */
  listFor(userId: string, all: boolean): Promise<Array<TeamRecord & { role: TeamRole | null }>>;
  roleOf(teamId: string, userId: string): Promise<TeamRole | null>;
  /** Every team the user belongs to (for visibility checks). */
  teamIdsOf(userId: string): Promise<string[]>;
  members(teamId: string): Promise<TeamMemberRecord[]>;
  /** Adds the user (keeps an existing membership's role); true when added. */
  addMember(teamId: string, userId: string, role: TeamRole): Promise<boolean>;
  /**
   * Changes a role or removes a member under a lock on the team, refusing to leave it without an
   * owner: 'last_owner' then, null when the user is not a member.
   */
  changeMember(
    teamId: string,
    userId: string,
    change: { role: TeamRole } | 'remove',
  ): Promise<'ok' | 'last_owner' | null>;
  createInvite(invite: {
    teamId: string;
    tokenHash: string;
    email: string | null;
    role: TeamRole;
    createdBy: string;
    expiresAt: Date;
  }): Promise<InviteRecord>;
  /** Spends the invite (single use, unexpired) and adds the user, in one transaction. */
  acceptInvite(tokenHash: string, userId: string, now: Date): Promise<AcceptOutcome>;
  addChatWorkspace(w: {
    teamId: string;
    platform: ChatWorkspacePlatform;
    externalId: string;
    createdBy: string;
  }): Promise<ChatWorkspaceRecord | 'taken'>;
  chatWorkspaces(teamId: string): Promise<ChatWorkspaceRecord[]>;
  removeChatWorkspace(teamId: string, id: string): Promise<boolean>;
  teamForWorkspace(platform: ChatWorkspacePlatform, externalId: string): Promise<string | null>;
}

/** Sends invite e-mails (nodemailer when SMTP_URL is set). */
export interface InviteMailer {
  send(invite: { to: string; teamName: string; url: string; role: TeamRole; expiresAt: Date }): Promise<void>;
}
