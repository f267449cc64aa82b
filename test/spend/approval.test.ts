import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApprovalStore } from '../../src/models/approvalStore.js';
import { registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import { waitFor } from '../helpers/wait.js';
import { teamFixture } from '../teams/helpers.js';

/**
 * The `approve` budget action (issue 14): a task over an `approve` budget waits in
 * awaiting_approval; its owner, a team owner/admin or a site admin approves (it runs) or rejects
 * it (cancelled, approval_rejected); unanswered, it expires (failed, approval_expired).
 */
let app: TestApp;
let f: Awaited<ReturnType<typeof teamFixture>>;
let db: pg.Client;
let approveBudgetId: string;

beforeAll(async () => {
  app = await startTestApp();
  f = await teamFixture(app);
  db = new pg.Client({ connectionString: app.databaseUrl });
  await db.connect();
  // Ten tokens a month: every task's estimate (input × 1.5 + output cap) passes it.
  const b = await f.owner.api.post('/api/budgets', {
    scope: 'team',
    scopeId: f.team.id,
    name: 'Acme monthly',
    limitTokens: 10,
    period: 'monthly',
    action: 'approve',
  });
  expect(b.status).toBe(201);
  approveBudgetId = b.body.id;
});
afterAll(async () => {
  await db?.end();
  await app?.close();
});

type Api = typeof f.owner.api;
const submit = (api: Api, extra: Record<string, unknown> = {}) =>
  api.post('/api/tasks', {
    description: 'Write a haiku about budgets',
    taskType: 'summary',
    teamId: f.team.id,
    options: { maxTokens: 50 },
    ...extra,
  });

const generateJobs = async (taskId: string) =>
  (
    await db.query(
      `SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'generate' AND data->>'taskId' = $1`,
      [taskId],
    )
  ).rows[0].n as number;
const reservations = async (taskId: string) =>
  (await db.query('SELECT count(*)::int AS n FROM budget_reservations WHERE task_id = $1', [taskId])).rows[0]
    .n as number;

describe('a task over an approve budget', () => {
  it('waits in awaiting_approval: 201, no job, nothing reserved, approvers notified, listed by status', async () => {
    const r = await submit(f.member.api);
    expect(r.status).toBe(201);
    expect(r.body.status).toBe('awaiting_approval');
    const id = r.body.id as string;
    expect(await generateJobs(id)).toBe(0);
    expect(await reservations(id)).toBe(0);

    const got = await f.member.api.get(`/api/tasks/${id}`);
    expect(got.status).toBe(200);
    expect(got.body.status).toBe('awaiting_approval');
    expect(got.body.estimatedCostMicros).toEqual(expect.any(Number));
    expect(got.body.approval).toMatchObject({
      budgets: [{ id: approveBudgetId, scope: 'team', name: 'Acme monthly', limitTokens: 10 }],
      decision: null,
      decidedBy: null,
    });
    // Default APPROVAL_TTL_MINUTES: 1440 (a day).
    const ttl = Date.parse(got.body.approval.expiresAt) - Date.parse(got.body.createdAt);
    expect(Math.round(ttl / 60_000)).toBe(1440);

    const listed = await f.member.api.get(`/api/tasks?status=awaiting_approval&teamId=${f.team.id}`);
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((t: { id: string }) => t.id)).toContain(id);

    for (const u of [f.owner, f.teamAdmin]) {
      const n = await u.api.get('/api/notifications?unread=true');
      expect(n.status).toBe(200);
      const mine = n.body.items.filter((x: any) => x.kind === 'task_approval' && x.payload.taskId === id);
      expect(mine).toHaveLength(1);
      expect(mine[0].payload.budgets[0].name).toBe('Acme monthly');
    }
    // The status keeps the worker away even if a job appeared: nothing runs.
    const s = await f.member.api.get(`/api/tasks/${id}/status`);
    expect(s.body.status).toBe('awaiting_approval');
  });

  it('a block budget still refuses with 422 budget_exceeded (and nothing waits)', async () => {
    const u = await registerUser(app.url);
    const b = await f.admin.api.post('/api/budgets', {
      scope: 'user',
      scopeId: u.user.id,
      name: 'Hard cap',
      limitTokens: 10,
      period: 'monthly',
      action: 'block',
    });
    expect(b.status).toBe(201);
    const r = await u.api.post('/api/tasks', { description: 'Too big', taskType: 'summary' });
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe('budget_exceeded');
    expect(r.body.error.details).toMatchObject({ budgetId: b.body.id, action: 'block' });
    expect(
      (await db.query('SELECT count(*)::int AS n FROM tasks WHERE user_id = $1', [u.user.id])).rows[0].n,
    ).toBe(0);
  });

  it('approved by a team admin: reserved (overspend recorded), queued with one job, and it runs to completed', async () => {
    const r = await submit(f.member.api);
    const id = r.body.id as string;
    const a = await f.teamAdmin.api.post(`/api/tasks/${id}/approve`);
    expect(a.status).toBe(200);
    expect(a.body.status).toBe('queued');
    expect(await generateJobs(id)).toBe(1);
    expect(await reservations(id)).toBe(1);
    await waitFor(
      async () => (await f.member.api.get(`/api/tasks/${id}`)).body.status === 'completed',
      'the approved task to complete',
    );
    const got = await f.member.api.get(`/api/tasks/${id}`);
    expect(got.body.contentId).toEqual(expect.any(String));
    expect(got.body.approval).toMatchObject({ decision: 'approved', decidedBy: f.teamAdmin.user.id });
    const audit = await db.query(
      "SELECT actor_id, details FROM audit_log WHERE action = 'task.approve' AND target_id = $1",
      [id],
    );
    expect(audit.rows).toHaveLength(1);
    expect(audit.rows[0].actor_id).toBe(f.teamAdmin.user.id);
    expect(audit.rows[0].details.budgets[0].id).toBe(approveBudgetId);
    // Settled after it ended: the budget carries the real tokens, past its limit (the accepted overspend).
    await waitFor(async () => {
      const s = await db.query('SELECT settled_at FROM budget_reservations WHERE task_id = $1', [id]);
      return s.rows[0]?.settled_at;
    }, 'the reservation to settle');
    const budget = await f.owner.api.get(`/api/budgets/${approveBudgetId}`);
    expect(budget.body.spentTokens).toBeGreaterThan(10);
  });

  it('rejected by the team owner: cancelled with approval_rejected; a second decision answers 409', async () => {
    const id = (await submit(f.member.api)).body.id as string;
    const r = await f.owner.api.post(`/api/tasks/${id}/reject`);
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('cancelled');
    expect(r.body.error).toMatch(/^approval_rejected: /);
    expect(await generateJobs(id)).toBe(0);
    expect(await reservations(id)).toBe(0);
    for (const path of ['approve', 'reject']) {
      const again = await f.owner.api.post(`/api/tasks/${id}/${path}`);
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe('not_awaiting_approval');
    }
  });

  it('two concurrent approvals: one 200, one 409, exactly one job', async () => {
    for (let round = 0; round < 5; round++) {
      const id = (await submit(f.member.api)).body.id as string;
      const [x, y] = await Promise.all([
        f.owner.api.post(`/api/tasks/${id}/approve`),
        f.teamAdmin.api.post(`/api/tasks/${id}/approve`),
      ]);
      expect([x.status, y.status].sort()).toEqual([200, 409]);
      expect(await generateJobs(id)).toBe(1);
      expect(await reservations(id)).toBe(1);
    }
  });

  it('an Idempotency-Key repeat answers the same waiting task', async () => {
    const key = crypto.randomUUID();
    const body = { description: 'Once only', taskType: 'summary', teamId: f.team.id };
    const first = await f.member.api.post('/api/tasks', body, { 'Idempotency-Key': key });
    const again = await f.member.api.post('/api/tasks', body, { 'Idempotency-Key': key });
    expect(first.body.status).toBe('awaiting_approval');
    expect(again.body).toMatchObject({ id: first.body.id, status: 'awaiting_approval' });
  });

  it('the owner can cancel a waiting task', async () => {
    const id = (await submit(f.member.api)).body.id as string;
    const c = await f.member.api.post(`/api/tasks/${id}/cancel`);
    expect(c.status).toBe(200);
    expect(c.body.status).toBe('cancelled');
    expect((await f.member.api.post(`/api/tasks/${id}/approve`)).status).toBe(409);
  });

  it('past its expiry a waiting task cannot be approved, even before the expiry job has ended it', async () => {
    const id = (await submit(f.member.api)).body.id as string;
    await db.query("UPDATE task_approvals SET expires_at = now() - interval '1 second' WHERE task_id = $1", [
      id,
    ]);
    const a = await f.teamAdmin.api.post(`/api/tasks/${id}/approve`);
    expect(a.status).toBe(409);
    expect(a.body.error.code).toBe('not_awaiting_approval');
    expect(await generateJobs(id)).toBe(0);
    expect(await reservations(id)).toBe(0);
    expect((await f.member.api.get(`/api/tasks/${id}`)).body.status).toBe('awaiting_approval');
  });
});

describe('approve / reject: who may decide (one row per actor)', () => {
  it('anonymous: 401', async () => {
    const id = (await submit(f.member.api)).body.id as string;
    expect((await f.anonymous.api.post(`/api/tasks/${id}/approve`)).status).toBe(401);
    expect((await f.anonymous.api.post(`/api/tasks/${id}/reject`)).status).toBe(401);
  });

  it('the user who submitted it (owner): allowed', async () => {
    const id = (await submit(f.member.api)).body.id as string;
    expect((await f.member.api.post(`/api/tasks/${id}/approve`)).status).toBe(200);
    const id2 = (await submit(f.member.api)).body.id as string;
    expect((await f.member.api.post(`/api/tasks/${id2}/reject`)).status).toBe(200);
  });

  it('another member of the team (not owner/admin): 403, the task keeps waiting', async () => {
    const id = (await submit(f.teamAdmin.api)).body.id as string;
    const a = await f.member.api.post(`/api/tasks/${id}/approve`);
    expect(a.status).toBe(403);
    expect(a.body.error.code).toBe('forbidden');
    expect((await f.member.api.post(`/api/tasks/${id}/reject`)).status).toBe(403);
    expect((await f.teamAdmin.api.get(`/api/tasks/${id}`)).body.status).toBe('awaiting_approval');
  });

  it('other team: 404', async () => {
    const id = (await submit(f.member.api)).body.id as string;
    expect((await f.outsider.api.post(`/api/tasks/${id}/approve`)).status).toBe(404);
    expect((await f.outsider.api.post(`/api/tasks/${id}/reject`)).status).toBe(404);
  });

  it('other user (a personal task): 404; unknown task: 404', async () => {
    const u = await registerUser(app.url);
    const other = await registerUser(app.url);
    expect(
      (
        await f.admin.api.post('/api/budgets', {
          scope: 'user',
          scopeId: u.user.id,
          limitTokens: 10,
          period: 'total',
          action: 'approve',
        })
      ).status,
    ).toBe(201);
    const t = await u.api.post('/api/tasks', { description: 'Personal', taskType: 'summary' });
    expect(t.body.status).toBe('awaiting_approval');
    expect((await other.api.post(`/api/tasks/${t.body.id}/approve`)).status).toBe(404);
    expect((await other.api.post(`/api/tasks/${t.body.id}/reject`)).status).toBe(404);
    expect((await u.api.post(`/api/tasks/${crypto.randomUUID()}/approve`)).status).toBe(404);
    // Its owner may decide (personal task: the approver is the owner).
    expect((await u.api.post(`/api/tasks/${t.body.id}/reject`)).status).toBe(200);
  });

  it('team admin and team owner: allowed', async () => {
    const a = (await submit(f.member.api)).body.id as string;
    expect((await f.teamAdmin.api.post(`/api/tasks/${a}/reject`)).status).toBe(200);
    const b = (await submit(f.member.api)).body.id as string;
    expect((await f.owner.api.post(`/api/tasks/${b}/reject`)).status).toBe(200);
  });

  it('site admin: allowed', async () => {
    const id = (await submit(f.member.api)).body.id as string;
    const r = await f.admin.api.post(`/api/tasks/${id}/reject`);
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('cancelled');
  });
});

describe('expiry', () => {
  const expire = (id: string) =>
    db.query("UPDATE task_approvals SET expires_at = now() - interval '1 minute' WHERE task_id = $1", [id]);

  it('the expire-approvals job ends an expired waiting task failed with approval_expired', async () => {
    const id = (await submit(f.member.api)).body.id as string;
    const keep = (await submit(f.member.api)).body.id as string;
    await expire(id);
    await app.sy.boss.send('expire-approvals', {});
    await waitFor(
      async () => (await f.member.api.get(`/api/tasks/${id}`)).body.status === 'failed',
      'the expired task to fail',
    );
    const t = await f.member.api.get(`/api/tasks/${id}`);
    expect(t.body.error).toMatch(/^approval_expired: /);
    expect(t.body.approval.decision).toBe('expired');
    expect(await generateJobs(id)).toBe(0);
    expect((await f.member.api.get(`/api/tasks/${keep}`)).body.status).toBe('awaiting_approval');
    expect((await f.owner.api.post(`/api/tasks/${id}/approve`)).status).toBe(409);
  });

  it('ends each expired task exactly once, however many runs overlap', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await submit(f.member.api)).body.id as string);
    for (const id of ids) await expire(id);
    const store = createApprovalStore(app.sy.db);
    const ended: string[] = [];
    await Promise.all(
      Array.from({ length: 4 }, () =>
        store.expireDue(100, 'approval_expired: test', async (t) => {
          ended.push(t.id);
        }),
      ),
    );
    expect(ended.filter((x) => ids.includes(x)).sort()).toEqual([...ids].sort());
    for (const id of ids) expect((await f.member.api.get(`/api/tasks/${id}`)).body.status).toBe('failed');
  });
});
