import { and, asc, eq, gt, isNull, sql } from 'drizzle-orm';
import type { TeamRole } from '../core/teams/authorization.js';
import type { ChatWorkspaceRecord, TeamRecord, TeamStore } from '../core/teams/ports.js';
import type { Db, DbOrTx } from './db.js';
import { chatWorkspaces, teamInvites, teamMembers, teams, users } from './schema.js';

const toTeam = (r: typeof teams.$inferSelect): TeamRecord => ({
  id: r.id,
  name: r.name,
  slug: r.slug,
  createdAt: r.createdAt,
});

const toWorkspace = (r: typeof chatWorkspaces.$inferSelect): ChatWorkspaceRecord => ({
  id: r.id,
  teamId: r.teamId,
  platform: r.platform,
  externalId: r.externalId,
  createdAt: r.createdAt,
});

async function insertMember(db: DbOrTx, teamId: string, userId: string, role: TeamRole) {
  const rows = await db
    .insert(teamMembers)
    .values({ teamId, userId, role })
    .onConflictDoNothing()
    .returning({ userId: teamMembers.userId });
  return rows.length > 0;
}

/** Teams, members, invites and chat workspaces in PostgreSQL. */
export function createTeamStore(db: Db): TeamStore {
  return {
    async create({ name, slug, createdBy }) {
      return db.transaction(async (tx) => {
        const [row] = await tx.insert(teams).values({ name, slug, createdBy }).returning();
        await insertMember(tx, row!.id, createdBy, 'owner');
        return toTeam(row!);
      });
    },

    async get(id) {
      const [row] = await db.select().from(teams).where(eq(teams.id, id));
      return row ? toTeam(row) : null;
    },

    async update(id, patch) {
      const [row] = await db
        .update(teams)
        .set({ ...(patch.name !== undefined ? { name: patch.name } : {}), updatedAt: new Date() })
        .where(eq(teams.id, id))
        .returning();
      return row ? toTeam(row) : null;
    },

    async listFor(userId, all) {
      const rows = await db
        .select({ team: teams, role: teamMembers.role })
        .from(teams)
        [all ? 'leftJoin' : 'innerJoin'](
          teamMembers,
          and(eq(teamMembers.teamId, teams.id), eq(teamMembers.userId, userId)),
        )
        .orderBy(asc(sql`lower(${teams.name})`), asc(teams.createdAt));
      return rows.map((r) => ({ ...toTeam(r.team), role: r.role ?? null }));
    },

    async roleOf(teamId, userId) {
      const [row] = await db
        .select({ role: teamMembers.role })
        .from(teamMembers)
        .where(and(eq(teamMembers.teamId, teamId), eq(teamMembers.userId, userId)));
      return row?.role ?? null;
    },

    async teamIdsOf(userId) {
      const rows = await db
        .select({ teamId: teamMembers.teamId })
        .from(teamMembers)
        .where(eq(teamMembers.userId, userId));
      return rows.map((r) => r.teamId);
    },

    async members(teamId) {
      const rows = await db
        .select({
          userId: teamMembers.userId,
          username: users.username,
          role: teamMembers.role,
          joinedAt: teamMembers.joinedAt,
        })
        .from(teamMembers)
        .innerJoin(users, eq(users.id, teamMembers.userId))
        .where(eq(teamMembers.teamId, teamId))
        .orderBy(asc(teamMembers.joinedAt));
      return rows;
    },

    addMember: (teamId, userId, role) => insertMember(db, teamId, userId, role),

    async changeMember(teamId, userId, change) {
      return db.transaction(async (tx) => {
        // Serialise membership changes per team so two demotions cannot both pass the owner count.
        await tx.execute(sql`SELECT 1 FROM ${teams} WHERE ${teams.id} = ${teamId} FOR UPDATE`);
        const members = await tx
          .select({ userId: teamMembers.userId, role: teamMembers.role })
          .from(teamMembers)
          .where(eq(teamMembers.teamId, teamId));
        const me = members.find((m) => m.userId === userId);
        if (!me) return null;
        const owners = members.filter((m) => m.role === 'owner').length;
        const losesOwner = me.role === 'owner' && (change === 'remove' || change.role !== 'owner');
        if (losesOwner && owners <= 1) return 'last_owner' as const;
        const where = and(eq(teamMembers.teamId, teamId), eq(teamMembers.userId, userId));
        if (change === 'remove') await tx.delete(teamMembers).where(where);
        else await tx.update(teamMembers).set({ role: change.role }).where(where);
        return 'ok' as const;
      });
    },

    async createInvite(invite) {
      const [row] = await db.insert(teamInvites).values(invite).returning();
      // Long-dead invites are of no further use.
      await db
        .delete(teamInvites)
        .where(
          and(
            eq(teamInvites.teamId, invite.teamId),
            sql`${teamInvites.expiresAt} < now() - interval '30 days'`,
          ),
        );
      return {
        id: row!.id,
        teamId: row!.teamId,
        role: row!.role,
        email: row!.email,
        expiresAt: row!.expiresAt,
      };
    },

    async acceptInvite(tokenHash, userId, now) {
      return db.transaction(async (tx) => {
        // Spend it atomically: of two concurrent acceptances only one gets the row.
        const [spent] = await tx
          .update(teamInvites)
          .set({ usedAt: now, usedBy: userId })
          .where(
            and(
              eq(teamInvites.tokenHash, tokenHash),
              isNull(teamInvites.usedAt),
              gt(teamInvites.expiresAt, now),
            ),
          )
          .returning({ teamId: teamInvites.teamId, role: teamInvites.role });
        if (!spent) {
          const [row] = await tx
            .select({ usedAt: teamInvites.usedAt })
            .from(teamInvites)
            .where(eq(teamInvites.tokenHash, tokenHash));
          return {
            ok: false as const,
            reason: !row ? ('unknown' as const) : row.usedAt ? ('used' as const) : ('expired' as const),
          };
        }
        await insertMember(tx, spent.teamId, userId, spent.role);
        return { ok: true as const, teamId: spent.teamId, role: spent.role };
      });
    },

    async addChatWorkspace(w) {
      const rows = await db.insert(chatWorkspaces).values(w).onConflictDoNothing().returning();
      return rows[0] ? toWorkspace(rows[0]) : 'taken';
    },

    async chatWorkspaces(teamId) {
      const rows = await db
        .select()
        .from(chatWorkspaces)
        .where(eq(chatWorkspaces.teamId, teamId))
        .orderBy(asc(chatWorkspaces.createdAt));
      return rows.map(toWorkspace);
    },

    async removeChatWorkspace(teamId, id) {
      const rows = await db
        .delete(chatWorkspaces)
        .where(and(eq(chatWorkspaces.teamId, teamId), eq(chatWorkspaces.id, id)))
        .returning({ id: chatWorkspaces.id });
      return rows.length > 0;
    },

    async teamForWorkspace(platform, externalId) {
      const [row] = await db
        .select({ teamId: chatWorkspaces.teamId })
        .from(chatWorkspaces)
        .where(and(eq(chatWorkspaces.platform, platform), eq(chatWorkspaces.externalId, externalId)));
      return row?.teamId ?? null;
    },
  };
}
