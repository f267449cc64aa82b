import { expect } from 'vitest';
import type { TestApp } from '../helpers/app.js';
import { sql } from '../helpers/sql.js';
import { waitFor } from '../helpers/wait.js';
import type { Api } from '../teams/helpers.js';

export { expectError, UNKNOWN_ID } from '../content/helpers.js';
export { type Api, teamFixture } from '../teams/helpers.js';

/** Content of a team, made the real way: a team task the worker completes on the mock provider. */
export async function teamContent(api: Api, teamId: string, description = 'Team brief'): Promise<string> {
  const t = await api.post('/api/tasks', { description, taskType: 'summary', teamId });
  expect(t.status, t.text).toBe(201);
  const done = await waitFor(async () => {
    const r = await api.get(`/api/tasks/${t.body.id}`);
    return r.body.status === 'completed' ? r.body : null;
  }, 'the team task to complete');
  return done.contentId as string;
}

/** Links a chat identity to a user, as `/sy link <code>` would have. */
export async function linkIdentity(
  app: TestApp,
  userId: string,
  platform: string,
  platformUserId: string,
  workspaceId = '',
) {
  await sql(
    app,
    `INSERT INTO chat_identities (user_id, platform, workspace_id, platform_user_id, linked_at)
     VALUES ($1, $2, $3, $4, now())`,
    [userId, platform, workspaceId, platformUserId],
  );
}

/** Adds a user to a team through an invite from one of its admins. */
export async function joinTeam(adminApi: Api, userApi: Api, teamId: string, role = 'member') {
  const inv = await adminApi.post(`/api/teams/${teamId}/invites`, { role });
  expect(inv.status, inv.text).toBe(201);
  const acc = await userApi.post(`/api/invites/${inv.body.token}/accept`);
  expect(acc.status, acc.text).toBe(200);
}
