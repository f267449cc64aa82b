import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySignature } from '../../src/core/webhooks/signature.js';
import { slackStubHandler } from '../chat/helpers.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { type StubServer, sendJson, startStubServer } from '../helpers/stubServer.js';
import { waitFor } from '../helpers/wait.js';
import { teamFixture } from '../teams/helpers.js';

let app: TestApp;
let slack: StubServer;
let hook: StubServer;

beforeAll(async () => {
  slack = await startStubServer();
  slack.handle(slackStubHandler(() => slack));
  hook = await startStubServer((_r, res) => sendJson(res, 200, { ok: true }));
  app = await startTestApp({
    env: {
      SLACK_SIGNING_SECRET: 'slack-signing-secret-for-tests',
      SLACK_BOT_TOKEN: 'xoxb-test-token-1234567890',
      SLACK_API_URL: `${slack.url}/api/`,
      OUTBOUND_ALLOW_PRIVATE: 'true',
    },
  });
});
afterAll(async () => {
  await app?.close();
  await slack?.close();
  await hook?.close();
});

describe('budget alerts at 50/80/100 %', () => {
  it('are sent once per threshold to the portal, a Slack channel and a signed webhook', {
    timeout: 90_000,
  }, async () => {
    const f = await teamFixture(app);
    await f.admin.api.put('/api/admin/prices', {
      items: [{ providerKind: 'mock', model: '*', inputPerMTokUsd: 100, outputPerMTokUsd: 100 }],
    });
    const budget = await f.teamAdmin.api.post('/api/budgets', {
      scope: 'team',
      scopeId: f.team.id,
      name: 'Writers',
      limitMicros: 60_000,
      period: 'monthly',
      action: 'notify',
      alertTargets: { slackChannel: 'C-ALERTS', webhookUrl: `${hook.url}/alerts` },
    });
    expect(budget.status).toBe(201);
    const spent = async () => (await f.teamAdmin.api.get(`/api/budgets/${budget.body.id}`)).body;
    const runTask = async () => {
      const t = await f.member.api.post('/api/tasks', {
        description: 'Two lines on alerts',
        taskType: 'summary',
        teamId: f.team.id,
        options: { maxTokens: 60 },
      });
      expect(t.status).toBe(201);
      await waitFor(async () => {
        const b = await spent();
        return b.reservedMicros === 0 ? b : null;
      }, 'the task to settle');
    };
    // Spend past the limit (a notify budget never refuses), then once more: nothing new to send.
    for (let i = 0; i < 30 && (await spent()).spentMicros < 60_000; i++) await runTask();
    await runTask();
    expect((await spent()).spentMicros).toBeGreaterThanOrEqual(60_000);

    const posts = () => slack.requests.filter((r) => r.path === '/api/chat.postMessage');
    await waitFor(async () => posts().length >= 3 && hook.requests.length >= 3, 'the alerts');
    const texts = posts().map((r) => {
      const body = r.headers['content-type']?.includes('json')
        ? r.json()
        : Object.fromEntries(new URLSearchParams(r.body));
      expect(body.channel).toBe('C-ALERTS');
      return body.text as string;
    });
    expect(texts).toHaveLength(3);
    expect(texts.map((t) => t.match(/reached (\d+)%/)?.[1])).toEqual(['50', '80', '100']);
    expect(texts[0]).toContain('Budget "Writers"');

    const secret = (await f.teamAdmin.api.get('/api/webhooks/callback-secret')).body.secret;
    expect(hook.requests.map((r) => r.json().threshold)).toEqual([50, 80, 100]);
    for (const r of hook.requests) {
      expect(r.path).toBe('/alerts');
      expect(r.headers['x-switchyard-event']).toBe('budget.threshold');
      expect(verifySignature(r.headers['x-switchyard-signature'] as string, r.rawBody, [secret]).ok).toBe(
        true,
      );
    }

    for (const who of [f.teamAdmin, f.owner]) {
      const n = await who.api.get('/api/notifications');
      expect(n.status).toBe(200);
      const alerts = n.body.items.filter((x: any) => x.kind === 'budget_alert');
      expect(alerts.map((x: any) => x.payload.threshold).sort((a: number, b: number) => a - b)).toEqual([
        50, 80, 100,
      ]);
      expect(alerts.every((x: any) => x.readAt === null)).toBe(true);
    }
    // The member is no manager of the budget: nothing for them.
    expect((await f.member.api.get('/api/notifications')).body.total).toBe(0);
    const read = await f.owner.api.post('/api/notifications/read', {});
    expect(read.body.marked).toBe(3);
    expect((await f.owner.api.get('/api/notifications?unread=true')).body.total).toBe(0);
    expect((await f.teamAdmin.api.get('/api/notifications?unread=true')).body.total).toBe(3);
    expect((await f.anonymous.api.get('/api/notifications')).status).toBe(401);
    expect((await f.owner.api.post('/api/notifications/read', { ids: ['x'] })).status).toBe(400);
  });
});
