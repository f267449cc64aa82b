import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, startTestApp, type TestApp } from '../helpers/app.js';

/**
 * The portal's team pieces in headless Chromium (as test/e2e): an owner creates a team and an invite
 * link on the Teams page, a second user opens /invites/<token> and joins, and with the team chosen
 * in the switcher the dashboard lists the owner's team task.
 */
let app: TestApp;
let browser: Browser;

beforeAll(async () => {
  app = await startTestApp({ roles: ['api', 'worker'] });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

async function signedIn(username: string, password: string): Promise<Page> {
  const ctx = await browser.newContext({ baseURL: app.url, viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  page.setDefaultTimeout(15_000);
  await page.goto('/login');
  await page.getByLabel('Username or email').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
  return page;
}

describe('portal: teams', () => {
  it('create a team, invite by link, join, switch to the team and see its task', async () => {
    const owner = await registerUser(app.url);
    const member = await registerUser(app.url);

    const o = await signedIn(owner.user.username, owner.password);
    await o.goto('/teams');
    await o.getByRole('textbox', { name: 'Name' }).fill('Portal Crew');
    await o.getByRole('button', { name: 'Create team' }).click();
    await o.getByRole('heading', { name: 'Members of Portal Crew' }).waitFor();
    await o.getByRole('button', { name: 'Create invite link' }).click();
    const url = (await o.getByTestId('invite-url').textContent()) ?? '';
    expect(url).toMatch(/\/invites\/[A-Za-z0-9_-]+$/);

    const team = (await owner.api.get('/api/teams')).body.items[0];
    const task = await owner.api.post('/api/tasks', {
      description: 'A task for the crew',
      taskType: 'summary',
      teamId: team.id,
    });
    expect(task.status).toBe(201);

    const m = await signedIn(member.user.username, member.password);
    await m.goto(new URL(url).pathname);
    await m.getByRole('button', { name: 'Join the team' }).click();
    await m.getByText('You joined').waitFor();
    // Joining selects the team in the switcher; the dashboard lists the team's tasks.
    await m.goto('/');
    await expect.poll(async () => m.getByTestId('team-switcher').inputValue()).toBe(team.id);
    await m.getByText('A task for the crew').first().waitFor();
    // Back to personal: the team task is not among the member's own.
    await m.getByTestId('team-switcher').selectOption('');
    await expect.poll(async () => m.getByText('A task for the crew').count()).toBe(0);
  });
});
