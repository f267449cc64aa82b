import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import { sql } from '../helpers/sql.js';
import { waitFor } from '../helpers/wait.js';

describe('teams: invites and the last owner', () => {
  let app: TestApp;
  let smtp: SMTPServer;
  const mails: Array<{ from: string; to: string[]; data: string }> = [];

  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, session, cb) {
        let data = '';
        stream.on('data', (c) => {
          data += c;
        });
        stream.on('end', () => {
          mails.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            data,
          });
          cb();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    const port = (smtp.server.address() as AddressInfo).port;
    app = await startTestApp({
      roles: ['api'],
      env: {
        SMTP_URL: `smtp://127.0.0.1:${port}`,
        SMTP_FROM: 'Switchyard <noreply@sy.example>',
        PUBLIC_URL: 'https://sy.example',
      },
    });
  });
  afterAll(async () => {
    await app?.close();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
  });

  it('e-mails the invite when SMTP is configured, and the link joins once', async () => {
    const owner = await registerUser(app.url);
    const team = (await owner.api.post('/api/teams', { name: 'Mailers' })).body;
    const inv = await owner.api.post(`/api/teams/${team.id}/invites`, {
      email: 'new.person@example.com',
      role: 'member',
    });
    expect(inv.status).toBe(201);
    expect(inv.body).toMatchObject({ emailed: true });
    expect(inv.body.url).toBe(`https://sy.example/invites/${inv.body.token}`);
    const mail = await waitFor(
      async () => mails.find((m) => m.to.includes('new.person@example.com')),
      'the invite e-mail',
    );
    expect(mail.from).toBe('noreply@sy.example');
    expect(mail.data.replace(/=\r?\n/g, '')).toContain(inv.body.url);

    // Only the hash is stored.
    const rows = await sql<{ token_hash: string }>(app, 'SELECT token_hash FROM team_invites WHERE id = $1', [
      inv.body.id,
    ]);
    expect(rows[0]!.token_hash).not.toContain(inv.body.token);

    const joiner = await registerUser(app.url);
    const acc = await joiner.api.post(`/api/invites/${inv.body.token}/accept`);
    expect(acc.status).toBe(200);
    expect(acc.body).toMatchObject({ id: team.id, role: 'member' });
    // Single use: a second acceptance (by anyone) is refused.
    const again = await (await registerUser(app.url)).api.post(`/api/invites/${inv.body.token}/accept`);
    expect(again.status).toBe(410);
    expect(again.body.error.code).toBe('invite_used');
    // Unknown token.
    expect((await joiner.api.post(`/api/invites/${'x'.repeat(43)}/accept`)).status).toBe(404);
    // Anonymous callers must sign in first.
    const inv2 = await owner.api.post(`/api/teams/${team.id}/invites`, { role: 'member' });
    expect((await fetch(`${app.url}/api/invites/${inv2.body.token}/accept`, { method: 'POST' })).status).toBe(
      401,
    );
  });

  it('without an e-mail address nothing is sent and the link is returned to copy', async () => {
    const owner = await registerUser(app.url);
    const team = (await owner.api.post('/api/teams', { name: 'Copy' })).body;
    const before = mails.length;
    const inv = await owner.api.post(`/api/teams/${team.id}/invites`, { role: 'admin' });
    expect(inv.body.emailed).toBe(false);
    expect(mails.length).toBe(before);
  });

  it('invites last 10 minutes to 7 days; an expired one is refused', async () => {
    const owner = await registerUser(app.url);
    const team = (await owner.api.post('/api/teams', { name: 'Expiry' })).body;
    for (const m of [9, 7 * 24 * 60 + 1]) {
      const r = await owner.api.post(`/api/teams/${team.id}/invites`, {
        role: 'member',
        expiresInMinutes: m,
      });
      expect(r.status).toBe(400);
    }
    const short = await owner.api.post(`/api/teams/${team.id}/invites`, {
      role: 'member',
      expiresInMinutes: 10,
    });
    expect(short.status).toBe(201);
    expect(new Date(short.body.expiresAt).getTime() - Date.now()).toBeLessThanOrEqual(10 * 60_000);
    const week = await owner.api.post(`/api/teams/${team.id}/invites`, {
      role: 'member',
      expiresInMinutes: 7 * 24 * 60,
    });
    expect(week.status).toBe(201);
    // Let it lapse.
    await sql(app, `UPDATE team_invites SET expires_at = now() - interval '1 second' WHERE id = $1`, [
      short.body.id,
    ]);
    const late = await (await registerUser(app.url)).api.post(`/api/invites/${short.body.token}/accept`);
    expect(late.status).toBe(410);
    expect(late.body.error.code).toBe('invite_expired');
  });

  it('two concurrent acceptances of one link: exactly one joins', async () => {
    const owner = await registerUser(app.url);
    const team = (await owner.api.post('/api/teams', { name: 'Race' })).body;
    const inv = await owner.api.post(`/api/teams/${team.id}/invites`, { role: 'member' });
    const a = await registerUser(app.url);
    const b = await registerUser(app.url);
    const results = await Promise.all([
      a.api.post(`/api/invites/${inv.body.token}/accept`),
      b.api.post(`/api/invites/${inv.body.token}/accept`),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 410]);
    const members = (await owner.api.get(`/api/teams/${team.id}`)).body.members;
    expect(members).toHaveLength(2);
  });

  it('the last owner cannot be demoted or leave (409); with a second owner they can', async () => {
    const owner = await registerUser(app.url);
    const team = (await owner.api.post('/api/teams', { name: 'Owners' })).body;
    expect(team.role).toBe('owner');
    const demote = await owner.api.put(`/api/teams/${team.id}/members/${owner.user.id}`, { role: 'admin' });
    expect(demote.status).toBe(409);
    const leave = await owner.api.delete(`/api/teams/${team.id}/members/${owner.user.id}`);
    expect(leave.status).toBe(409);

    const second = await registerUser(app.url);
    const inv = await owner.api.post(`/api/teams/${team.id}/invites`, { role: 'owner' });
    await second.api.post(`/api/invites/${inv.body.token}/accept`);
    // Two owners demoting each other at once: one must remain.
    const both = await Promise.all([
      owner.api.put(`/api/teams/${team.id}/members/${second.user.id}`, { role: 'member' }),
      second.api.put(`/api/teams/${team.id}/members/${owner.user.id}`, { role: 'member' }),
    ]);
    // The loser answers 409 (last owner) when both checks ran before either change, or 403 when
    // the winner's change landed first and the loser is no longer an owner. Either way one wins.
    const statuses = both.map((r) => r.status).sort();
    expect(statuses[0]).toBe(200);
    expect([403, 409]).toContain(statuses[1]);
    const owners = await sql<{ n: number }>(
      app,
      `SELECT count(*)::int AS n FROM team_members WHERE team_id = $1 AND role = 'owner'`,
      [team.id],
    );
    expect(owners[0]!.n).toBe(1);
  });

  it('removing a member revokes nothing else of theirs: their own tasks stay theirs', async () => {
    const owner = await registerUser(app.url);
    const team = (await owner.api.post('/api/teams', { name: 'Leavers' })).body;
    const m = await registerUser(app.url);
    const inv = await owner.api.post(`/api/teams/${team.id}/invites`, { role: 'member' });
    await m.api.post(`/api/invites/${inv.body.token}/accept`);
    const teamTask = await m.api.post('/api/tasks', {
      description: 'x',
      taskType: 'summary',
      teamId: team.id,
    });
    const own = await m.api.post('/api/tasks', { description: 'y', taskType: 'summary' });
    expect((await owner.api.delete(`/api/teams/${team.id}/members/${m.user.id}`)).status).toBe(204);
    expect((await m.api.get(`/api/tasks/${own.body.id}`)).status).toBe(200);
    // They created it, so it is still theirs; the team keeps it too.
    expect((await m.api.get(`/api/tasks/${teamTask.body.id}`)).status).toBe(200);
    expect((await owner.api.get(`/api/tasks/${teamTask.body.id}`)).status).toBe(200);
    expect((await m.api.get(`/api/tasks?teamId=${team.id}`)).status).toBe(404);
    expect((await owner.api.delete(`/api/teams/${team.id}/members/${m.user.id}`)).status).toBe(404);
  });

  it('refuses malformed input with 400', async () => {
    const owner = await registerUser(app.url);
    expect((await owner.api.post('/api/teams', { name: '' })).status).toBe(400);
    expect((await owner.api.post('/api/teams', { name: 'a\u0000b' })).status).toBe(400);
    const team = (await owner.api.post('/api/teams', { name: 'Valid' })).body;
    expect((await owner.api.post(`/api/teams/${team.id}/invites`, { role: 'boss' })).status).toBe(400);
    expect(
      (await owner.api.post(`/api/teams/${team.id}/chat-workspaces`, { platform: 'irc', externalId: 'x' }))
        .status,
    ).toBe(400);
    const w = { platform: 'slack', externalId: 'TDUP1' };
    expect((await owner.api.post(`/api/teams/${team.id}/chat-workspaces`, w)).status).toBe(201);
    const other = await registerUser(app.url);
    const t2 = (await other.api.post('/api/teams', { name: 'Thief' })).body;
    expect((await other.api.post(`/api/teams/${t2.id}/chat-workspaces`, w)).status).toBe(409);
  });
});
