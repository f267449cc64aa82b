import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { type OidcIssuer, startOidcIssuer } from '../helpers/identityProviders.js';
import { sql } from '../helpers/sql.js';

/**
 * In real headless Chromium against the built portal: on a fresh database (no admin, no users), a
 * person clicks the organisation's sign-in button, signs in at the local OpenID Connect issuer
 * (oidc-provider on 127.0.0.1) and lands signed in in the portal.
 */
const SHOTS = path.resolve('test-artifacts/screenshots');
mkdirSync(SHOTS, { recursive: true });

let app: TestApp;
let issuer: OidcIssuer;
let browser: Browser;

beforeAll(async () => {
  issuer = await startOidcIssuer();
  app = await startTestApp({
    roles: ['api'],
    env: {
      ADMIN_EMAIL: '',
      ADMIN_PASSWORD: '',
      OIDC_ISSUER_URL: issuer.url,
      OIDC_CLIENT_ID: 'portal-e2e',
      OIDC_CLIENT_SECRET: 'portal-e2e-client-secret-0123456789',
      OIDC_NAME: 'Corp SSO',
    },
  });
  issuer.configure([
    {
      clientId: 'portal-e2e',
      clientSecret: 'portal-e2e-client-secret-0123456789',
      redirectUri: `${app.url}/api/auth/oauth/oidc/callback`,
    },
  ]);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
    ],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await issuer?.close();
});

describe('sign-in with an identity provider in the portal', () => {
  it('signs in through the "Sign in with Corp SSO" button on a fresh database and lands signed in', async () => {
    expect(await sql(app, 'SELECT id FROM users')).toEqual([]);
    issuer.as({
      sub: 'e2e-person',
      email: 'riley@corp.example',
      email_verified: true,
      name: 'Riley',
      preferred_username: 'riley',
    });
    const ctx = await browser.newContext({ baseURL: app.url, viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    page.setDefaultTimeout(15_000);
    try {
      await page.goto('/login');
      const button = page.getByRole('link', { name: 'Sign in with Corp SSO' });
      await button.waitFor({ state: 'visible' });
      await page.screenshot({ path: path.join(SHOTS, 'sso-login.png'), fullPage: true });
      await button.click();
      await page.waitForURL((u) => u.origin === app.url && !u.pathname.startsWith('/login'), {
        timeout: 20_000,
      });
      await expect
        .poll(async () => (await page.locator('.user-name').textContent()) ?? '', { timeout: 20_000 })
        .toBe('riley');
      await page.screenshot({ path: path.join(SHOTS, 'sso-signed-in.png'), fullPage: true });
      await page.goto('/profile');
      await expect
        .poll(async () => page.getByText('riley@corp.example').count(), { timeout: 20_000 })
        .toBeGreaterThan(0);
      const rows = await sql<{ provider: string; email: string }>(
        app,
        'SELECT provider, email FROM identities',
      );
      expect(rows).toEqual([{ provider: 'oidc', email: 'riley@corp.example' }]);
    } catch (e) {
      await page.screenshot({ path: path.join(SHOTS, 'failure-sso.png'), fullPage: true }).catch(() => {});
      throw e;
    } finally {
      await ctx.close();
    }
  });
});
