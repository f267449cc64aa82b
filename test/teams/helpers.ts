import { client, loginAdmin, registerUser, type TestApp } from '../helpers/app.js';

export type Api = ReturnType<typeof client>;

/**
 * A team with an owner, a team admin and a plain member (all joined through invites), a user of
 * another team, and the site admin.
 */
export async function teamFixture(app: TestApp) {
  const owner = await registerUser(app.url);
  const teamAdmin = await registerUser(app.url);
  const member = await registerUser(app.url);
  const outsider = await registerUser(app.url);
  const admin = await loginAdmin(app.url);
  const created = await owner.api.post('/api/teams', { name: 'Acme Writers' });
  if (created.status !== 201) throw new Error(`team: ${created.status} ${created.text}`);
  const team = created.body as { id: string; name: string };
  for (const [u, role] of [
    [teamAdmin, 'admin'],
    [member, 'member'],
  ] as const) {
    const inv = await owner.api.post(`/api/teams/${team.id}/invites`, { role });
    if (inv.status !== 201) throw new Error(`invite: ${inv.status} ${inv.text}`);
    const acc = await u.api.post(`/api/invites/${inv.body.token}/accept`);
    if (acc.status !== 200) throw new Error(`accept: ${acc.status} ${acc.text}`);
  }
  const other = await outsider.api.post('/api/teams', { name: 'Other Team' });
  return {
    team,
    otherTeam: other.body as { id: string },
    owner,
    teamAdmin,
    member,
    outsider,
    admin,
    anonymous: { api: client(app.url) },
  };
}
