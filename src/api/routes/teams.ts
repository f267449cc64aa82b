import { z } from 'zod';
import { TEAM_ROLES } from '../../core/teams/authorization.js';
import type { ChatWorkspaceRecord, TeamMemberRecord } from '../../core/teams/ports.js';
import {
  INVITE_MAX_MINUTES,
  INVITE_MIN_MINUTES,
  type TeamService,
  type TeamView,
} from '../../core/teams/teamService.js';
import type { ApiDeps } from '../deps.js';
import { actorOf, createRouteBuilder } from '../route.js';
import { idParams, isoDate } from '../schemas.js';

const uuid = z.uuid('must be a UUID');
const name = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .refine((s) => ![...s].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f), {
    message: 'must not contain control characters',
  });

const teamSchema = z.object({
  id: z.string(),
  name: z.string(),
  slug: z.string(),
  createdAt: isoDate,
  role: z
    .enum(TEAM_ROLES)
    .nullable()
    .describe('The caller’s role in the team (null: a site admin outside it)'),
});
const memberSchema = z.object({
  userId: z.string(),
  username: z.string(),
  role: z.enum(TEAM_ROLES),
  joinedAt: isoDate,
});
const chatWorkspaceSchema = z.object({
  id: z.string(),
  teamId: z.string(),
  platform: z.enum(['slack', 'discord', 'telegram']),
  externalId: z.string(),
  createdAt: isoDate,
});

const presentTeam = (t: TeamView) => ({
  id: t.id,
  name: t.name,
  slug: t.slug,
  createdAt: t.createdAt.toISOString(),
  role: t.role,
});
const presentMember = (m: TeamMemberRecord) => ({
  userId: m.userId,
  username: m.username,
  role: m.role,
  joinedAt: m.joinedAt.toISOString(),
});
const presentWorkspace = (w: ChatWorkspaceRecord) => ({
  id: w.id,
  teamId: w.teamId,
  platform: w.platform,
  externalId: w.externalId,
  createdAt: w.createdAt.toISOString(),
});

const memberParams = z.object({ id: uuid, userId: uuid });

/** Teams, members, invites and chat workspaces (API.md § Teams). Mounted at /api. */
export function teamRoutes(deps: ApiDeps, t: { teams: TeamService }) {
  const r = createRouteBuilder(deps.openapi, '/api');
  const tags = ['Teams'];

  r.post(
    '/teams',
    {
      summary: 'Create a team (the caller becomes its owner)',
      tags,
      auth: 'user',
      body: z.object({ name }).strict(),
      responses: { 201: { description: 'The new team', schema: teamSchema } },
    },
    async (ctx) => presentTeam(await t.teams.create(actorOf(ctx), ctx.body.name)),
  );

  r.get(
    '/teams',
    {
      summary: 'The caller’s teams (admins: `all=true` for every team)',
      tags,
      auth: 'user',
      query: z.object({ all: z.enum(['true', 'false', '1', '0']).optional() }),
      responses: { 200: { description: 'Teams', schema: z.object({ items: z.array(teamSchema) }) } },
      errors: [403],
    },
    async (ctx) => ({
      items: (await t.teams.list(actorOf(ctx), ctx.query.all === 'true' || ctx.query.all === '1')).map(
        presentTeam,
      ),
    }),
  );

  r.get(
    '/teams/:id',
    {
      summary: 'A team with its members and chat workspaces (members; others get 404)',
      tags,
      auth: 'user',
      params: idParams,
      responses: {
        200: {
          description: 'Team',
          schema: teamSchema.extend({
            members: z.array(memberSchema),
            chatWorkspaces: z.array(chatWorkspaceSchema),
          }),
        },
      },
    },
    async (ctx) => {
      const team = await t.teams.get(ctx.params.id, actorOf(ctx));
      return {
        ...presentTeam(team),
        members: team.members.map(presentMember),
        chatWorkspaces: team.chatWorkspaces.map(presentWorkspace),
      };
    },
  );

  r.put(
    '/teams/:id',
    {
      summary: 'Rename a team (team admins)',
      tags,
      auth: 'user',
      params: idParams,
      body: z.object({ name: name.optional() }).strict(),
      responses: { 200: { description: 'Team', schema: teamSchema } },
      errors: [403],
    },
    async (ctx) => presentTeam(await t.teams.update(ctx.params.id, actorOf(ctx), ctx.body)),
  );

  r.post(
    '/teams/:id/invites',
    {
      summary: 'Create a single-use invite link (team admins); e-mailed when SMTP is configured',
      tags,
      auth: 'user',
      params: idParams,
      body: z
        .object({
          email: z.email().max(254).optional(),
          role: z.enum(TEAM_ROLES),
          expiresInMinutes: z
            .number()
            .int()
            .min(INVITE_MIN_MINUTES)
            .max(INVITE_MAX_MINUTES)
            .optional()
            .describe('10 minutes to 7 days (default 3 days)'),
        })
        .strict(),
      responses: {
        201: {
          description: 'The invite; `token` and `url` are shown only now',
          schema: z.object({
            id: z.string(),
            url: z.string(),
            token: z.string(),
            expiresAt: isoDate,
            emailed: z.boolean(),
          }),
        },
      },
      errors: [403],
    },
    async (ctx) => {
      const inv = await t.teams.invite(ctx.params.id, actorOf(ctx), ctx.body);
      return { ...inv, expiresAt: inv.expiresAt.toISOString() };
    },
  );

  r.post(
    '/invites/:token/accept',
    {
      summary: 'Accept an invite: the signed-in caller joins the team (410 when used or expired)',
      tags,
      auth: 'user',
      params: z.object({
        token: z
          .string()
          .min(16)
          .max(128)
          .regex(/^[A-Za-z0-9_-]+$/, 'not an invite token'),
      }),
      responses: { 200: { description: 'The team joined', schema: teamSchema } },
      errors: [410],
    },
    async (ctx) => presentTeam(await t.teams.accept(ctx.params.token, actorOf(ctx))),
  );

  r.put(
    '/teams/:id/members/:userId',
    {
      summary: 'Change a member’s role (team admins; owners for the owner role); the last owner stays (409)',
      tags,
      auth: 'user',
      params: memberParams,
      body: z.object({ role: z.enum(TEAM_ROLES) }).strict(),
      responses: { 200: { description: 'The member', schema: memberSchema } },
      errors: [403, 409],
    },
    async (ctx) =>
      presentMember(await t.teams.setRole(ctx.params.id, ctx.params.userId, ctx.body.role, actorOf(ctx))),
  );

  r.delete(
    '/teams/:id/members/:userId',
    {
      summary: 'Remove a member (team admins; anyone may leave); revokes nothing else of theirs',
      tags,
      auth: 'user',
      params: memberParams,
      responses: { 204: { description: 'Removed' } },
      errors: [403, 409],
    },
    async (ctx) => {
      await t.teams.removeMember(ctx.params.id, ctx.params.userId, actorOf(ctx));
    },
  );

  r.post(
    '/teams/:id/chat-workspaces',
    {
      summary: 'Attach a Slack workspace, Discord guild or Telegram chat to the team (team admins)',
      description:
        'Commands from it then create the team’s tasks, routed to the team’s provider accounts first. `externalId`: Slack team id (T…), Discord guild id, Telegram chat id. 409 when already attached to a team.',
      tags,
      auth: 'user',
      params: idParams,
      body: z
        .object({
          platform: z.enum(['slack', 'discord', 'telegram']),
          externalId: z
            .string()
            .trim()
            .min(1)
            .max(64)
            .regex(/^-?[A-Za-z0-9_]+$/, 'letters, digits, _ (Telegram group ids may start with -)'),
        })
        .strict(),
      responses: { 201: { description: 'Attached', schema: chatWorkspaceSchema } },
      errors: [403, 409],
    },
    async (ctx) => presentWorkspace(await t.teams.addChatWorkspace(ctx.params.id, actorOf(ctx), ctx.body)),
  );

  r.delete(
    '/teams/:id/chat-workspaces/:workspaceId',
    {
      summary: 'Detach a chat workspace (team admins)',
      tags,
      auth: 'user',
      params: z.object({ id: uuid, workspaceId: uuid }),
      responses: { 204: { description: 'Detached' } },
      errors: [403],
    },
    async (ctx) => {
      await t.teams.removeChatWorkspace(ctx.params.id, ctx.params.workspaceId, actorOf(ctx));
    },
  );

  return r.router;
}
