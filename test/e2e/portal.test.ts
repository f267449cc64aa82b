import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, client, registerUser, startTestApp, type TestApp } from '../helpers/app.js';

/**
 * End to end in real headless Chromium (Debian's /usr/bin/chromium driven by playwright-core; no
 * browser download) against the built portal served by the real app. Screenshots of the main
 * pages are saved under test-artifacts/screenshots/.
 */
const SHOTS = path.resolve('test-artifacts/screenshots');
mkdirSync(SHOTS, { recursive: true });

let app: TestApp;
let browser: Browser;

beforeAll(async () => {
  app = await startTestApp({ roles: ['api', 'worker'] });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

async function newPage(): Promise<{ ctx: BrowserContext; page: Page }> {
  const ctx = await browser.newContext({
    baseURL: app.url,
    acceptDownloads: true,
    viewport: { width: 1280, height: 900 },
  });
  const page = await ctx.newPage();
  page.setDefaultTimeout(15_000);
  openPages.push(page);
  return { ctx, page };
}

async function signIn(page: Page, login: string, password: string) {
  await page.goto('/login');
  await page.getByLabel('Username or email').fill(login);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
}

/** Waits until the locator's text matches (playwright-core has no assertion library; vitest polls). */
const textOf = (l: Locator) => expect.poll(async () => (await l.textContent()) ?? '', { timeout: 20_000 });
const visible = (l: Locator) => l.first().waitFor({ state: 'visible', timeout: 20_000 });

const shot = (page: Page, name: string) =>
  page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

const openPages: Page[] = [];
async function onFailure<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    // Keep what each page showed at the moment of failure, to see why.
    await Promise.all(
      openPages.map((p, i) =>
        p.screenshot({ path: path.join(SHOTS, `failure-${i}.png`), fullPage: true }).catch(() => {}),
      ),
    );
    throw e;
  }
}

describe('portal end to end', () => {
  it(
    'admin adds a mock provider account; a user submits a task, edits, diffs, exports and shares it; admin suspends the user',
    () =>
      onFailure(async () => {
        // --- admin: a provider account pointing at the mock
        const { ctx: adminCtx, page: admin } = await newPage();
        await signIn(admin, ADMIN.username, ADMIN.password);
        await admin.goto('/admin/providers');
        await admin.getByRole('button', { name: 'Add provider' }).click();
        await admin.getByRole('textbox', { name: 'Name', exact: true }).fill('Drill Mock');
        await admin.getByLabel('Kind').selectOption('mock');
        await admin.getByRole('button', { name: 'Create provider' }).click();
        await admin.getByRole('button', { name: 'Add account' }).click();
        await admin.getByRole('textbox', { name: 'Account name' }).fill('drill-account');
        await admin.getByRole('textbox', { name: 'API key' }).fill('mock-key-not-secret');
        await admin
          .getByRole('spinbutton', { name: 'Token limit' })
          .or(admin.getByRole('textbox', { name: 'Token limit' }))
          .fill('500000');
        await admin.getByRole('button', { name: 'Create account' }).click();
        await expect.poll(async () => admin.getByText('drill-account').count()).toBeGreaterThan(0);
        await shot(admin, 'admin-provider');

        // --- user: submit a task and watch it complete
        const u = await registerUser(app.url, 'e2e-writer');
        const { ctx: userCtx, page } = await newPage();
        await signIn(page, u.user.username, u.password);
        await shot(page, 'dashboard');
        await page.goto('/tasks/new');
        await page.getByRole('combobox', { name: 'Task type' }).selectOption('article');
        await page
          .getByRole('textbox', { name: 'Prompt' })
          .fill('Write about switchyards and how trains are sorted');
        await page.getByRole('button', { name: 'Submit task' }).click();
        await expect
          .poll(async () => (await page.getByTestId('task-status').textContent())?.toLowerCase() ?? '', {
            timeout: 30_000,
          })
          .toContain('completed');
        await shot(page, 'task-detail');

        // --- open the content, edit it: two versions and their diff
        await page.getByRole('link', { name: 'Open content' }).click();
        await textOf(page.getByTestId('content-body')).toMatch(/switchyard/i);
        await shot(page, 'content');
        await page.getByRole('tab', { name: 'Edit' }).click();
        const body = page.getByLabel('Body');
        await body.fill(`${await body.inputValue()}\n\nEdited in the browser.`);
        await page.getByRole('button', { name: 'Save changes' }).click();
        await visible(page.getByText('Saved as version 2.'));
        await page.getByRole('tab', { name: 'Versions' }).click();
        await expect.poll(() => page.getByTestId('versions-table').getByRole('row').count()).toBe(3); // header + 2 versions
        await page.getByRole('tab', { name: 'Compare' }).click();
        await textOf(page.getByTestId('diff')).toContain('Edited in the browser.');
        await shot(page, 'diff');

        // --- export markdown and PDF: the downloads arrive
        await page.getByRole('tab', { name: 'Export' }).click();
        const [md] = await Promise.all([
          page.waitForEvent('download'),
          page.getByRole('button', { name: 'Export Markdown' }).click(),
        ]);
        expect(md.suggestedFilename()).toMatch(/\.md$/);
        expect(await readFile((await md.path())!, 'utf8')).toContain('Edited in the browser.');
        const [pdf] = await Promise.all([
          page.waitForEvent('download'),
          page.getByRole('button', { name: 'Export PDF' }).click(),
        ]);
        expect(pdf.suggestedFilename()).toMatch(/\.pdf$/);
        expect((await readFile((await pdf.path())!)).subarray(0, 5).toString()).toBe('%PDF-');

        // --- share link, opened signed out
        await page.getByRole('tab', { name: 'Share' }).click();
        await page.getByRole('button', { name: 'Create share link' }).click();
        const shareUrl = (await page.getByTestId('share-url').textContent())!.trim();
        expect(shareUrl).toMatch(/\/s\//);
        const { ctx: anonCtx, page: anon } = await newPage();
        await anon.goto(new URL(shareUrl).pathname);
        await textOf(anon.locator('body')).toContain('Edited in the browser.');
        await shot(anon, 'share-page');
        await anonCtx.close();

        // --- account linking code
        await page.goto('/links');
        await page.getByRole('button', { name: 'Generate link code' }).click();
        await textOf(page.getByTestId('link-code')).toMatch(/\S{4,}/);
        await shot(page, 'links');

        // --- admin: stats with a rendered chart, then suspend the user
        await admin.goto('/admin/stats');
        await visible(admin.getByTestId('chart-tasks-by-status').locator('svg.recharts-surface'));
        await shot(admin, 'admin-stats');
        await admin.goto('/admin/users');
        await admin.getByRole('button', { name: `Suspend ${u.user.username}` }).click();
        const confirm = admin.getByRole('button', { name: /^Yes/ });
        if (await confirm.count()) await confirm.click();
        await visible(admin.getByRole('button', { name: `Reactivate ${u.user.username}` }));
        await shot(admin, 'admin-users');

        // the suspended user is rejected: the API refuses the old token and the portal signs them out
        expect((await client(app.url, u.accessToken).get('/api/auth/me')).status).toBe(401);
        await page.goto('/');
        await page.waitForURL((url) => url.pathname.startsWith('/login'));
        await page.getByLabel('Username or email').fill(u.user.username);
        await page.getByLabel('Password').fill(u.password);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await textOf(page.getByRole('alert').first()).toMatch(/suspended/i);

        await userCtx.close();
        await adminCtx.close();
      }),
    180_000,
  );
});
