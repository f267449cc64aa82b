import { forbidden, notFound } from '../errors.js';

/**
 * THE team authorisation matrix: which team role may do what. Every team-scoped route asks
 * `authorizeTeam` (or `canTeam`); nothing else decides. Outsiders (not in the team) get 404 so a
 * team's existence does not leak; members without the right get 403; site admins may do everything.
 */
export const TEAM_ROLES = ['owner', 'admin', 'member'] as const;
export type TeamRole = (typeof TEAM_ROLES)[number];

export const TEAM_ACTIONS = [
  'team.read',
  'team.update',
  'members.invite',
  'members.manage',
  'chatWorkspaces.manage',
  'tasks.read',
  'tasks.create',
  'tasks.manage',
  'content.read',
  'content.comment',
  'content.publish',
  'comments.moderate',
  'reports.read',
  'providerAccounts.manage',
  'hooks.manage',
  'tokens.manage',
  'budgets.manage',
] as const;
export type TeamAction = (typeof TEAM_ACTIONS)[number];

const ALL: readonly TeamRole[] = ['owner', 'admin', 'member'];
const ADMINS: readonly TeamRole[] = ['owner', 'admin'];

export const TEAM_MATRIX: Readonly<Record<TeamAction, readonly TeamRole[]>> = {
  'team.read': ALL,
  'team.update': ADMINS,
  'members.invite': ADMINS,
  'members.manage': ADMINS,
  'chatWorkspaces.manage': ADMINS,
  'tasks.read': ALL,
  'tasks.create': ALL,
  /** Change, cancel or delete a team task someone else created. */
  'tasks.manage': ADMINS,
  'content.read': ALL,
  /** Comment on the team's content and review it when asked. */
  'content.comment': ALL,
  /** Publish approved content (pins a version). */
  'content.publish': ADMINS,
  /** Edit, resolve or delete someone else's comment. */
  'comments.moderate': ADMINS,
  /** Usage and cost reports of the team. */
  'reports.read': ADMINS,
  'providerAccounts.manage': ADMINS,
  'hooks.manage': ADMINS,
  /** Create API tokens scoped to the team (the gateway's and integrations' keys). */
  'tokens.manage': ADMINS,
  /** Create, change and delete the team's spend budgets (and read them). */
  'budgets.manage': ADMINS,
};

/** Who asks: the caller's role in the team (null = not a member), and whether they are a site admin. */
export interface TeamViewer {
  teamRole: TeamRole | null;
  siteAdmin: boolean;
}

export function canTeam(viewer: TeamViewer, action: TeamAction): boolean {
  if (viewer.siteAdmin) return true;
  return viewer.teamRole !== null && TEAM_MATRIX[action].includes(viewer.teamRole);
}

/** Throws 404 for outsiders and 403 for members without the right. */
export function authorizeTeam(viewer: TeamViewer, action: TeamAction, what = 'Team'): void {
  if (canTeam(viewer, action)) return;
  if (viewer.teamRole === null) throw notFound(what);
  throw forbidden(`Your role in this team (${viewer.teamRole}) does not allow that`);
}

/** Only an owner may hand out or take away the owner role. */
export function canGrant(viewer: TeamViewer, role: TeamRole): boolean {
  if (viewer.siteAdmin) return true;
  if (role === 'owner') return viewer.teamRole === 'owner';
  return canTeam(viewer, 'members.manage');
}
