import type { Actor } from '../actor.js';
import type { ContentRecord } from '../content/ports.js';
import type { TeamMembership } from '../tasks/ports.js';
import { canTeam, type TeamAction } from '../teams/authorization.js';

/**
 * Who may do what with a content item's conversation and review, on top of the content read check
 * (ContentService.get: owner, team members, site admins; everyone else 404). For team content the
 * team matrix decides (core/teams/authorization.ts); for personal content its owner plays the team
 * admin. Site admins may do everything.
 */
export async function mayOnContent(
  teams: TeamMembership | undefined,
  viewer: Actor,
  c: Pick<ContentRecord, 'userId' | 'teamId'>,
  action: TeamAction,
): Promise<boolean> {
  if (viewer.isAdmin) return true;
  if (!c.teamId) return c.userId === viewer.userId;
  const teamRole = teams ? await teams.roleOf(c.teamId, viewer.userId) : null;
  return canTeam({ teamRole, siteAdmin: false }, action);
}

/** Whether this user (not a site admin) may read the content: its owner or a member of its team. */
export async function userMayRead(
  teams: TeamMembership | undefined,
  userId: string,
  c: Pick<ContentRecord, 'userId' | 'teamId'>,
): Promise<boolean> {
  if (c.userId === userId) return true;
  if (!c.teamId || !teams) return false;
  return (await teams.roleOf(c.teamId, userId)) !== null;
}
