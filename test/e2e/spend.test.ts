import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, client, registerUser, startTestApp, type TestApp } from '../helpers/app.js';

/**
 * The portal's Spend page in headless Chromium (as test/e2e/portal.test.ts): a site admin follows
 * the "Spend" link and sees a budget set through the API, with its bar and forecast.
 */
const SHOTS = path.resolve('test-artifacts/screenshots');
let app: TestApp;
let browser: Browser;

beforeAll(async () => {
  app = await startTestApp({ roles: ['api'] });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

describe('portal: spend', () => {
  it('a site admin opens Spend and sees a budget with its bar and forecast', async () => {
    const u = await registerUser(app.url);
    const login = await client(app.url).post('/api/auth/login', {
      username: ADMIN.username,
      password: ADMIN.password,
    });
    const admin = client(app.url, login.body.accessToken);
    const created = await admin.post('/api/budgets', {
      scope: 'user',
      scopeId: u.user.id,
      name: 'E2E cap',
      limitMicros: 12_500_000,
      period: 'monthly',
    });
    expect(created.status).toBe(201);

    const ctx = await browser.newContext({ baseURL: app.url, viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto('/login');
    await page.getByLabel('Username or email').fill(ADMIN.username);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => !url.pathname.startsWith('/login'));
    await page.getByRole('link', { name: 'Spend' }).click();
    await page.getByRole('heading', { name: 'Spend', level: 1 }).waitFor();
    const meter = page.getByRole('meter', { name: 'Money budget: E2E cap (User)' });
    await meter.waitFor();
    expect(await meter.getAttribute('aria-valuetext')).toBe(
      '$0.00 spent, $0.00 reserved, $12.50 left of $12.50',
    );
    await page.getByTestId('forecast').first().waitFor();
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, 'spend.png'), fullPage: true });
    await ctx.close();
  });
});
