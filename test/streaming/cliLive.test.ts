import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import { setMockConfig } from '../tasks/helpers.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ env: { MOCK_PROVIDER: 'on' } });
});
afterAll(async () => {
  await app?.close();
});

describe('CLI submit --wait prints the answer live', () => {
  it('prints the streamed text (exactly the content), and marks a cut attempt [incomplete]', async () => {
    const u = await registerUser(app.url);
    const token = (await u.api.post('/api/auth/tokens', { name: 'cli' })).body.token as string;
    const cli = () =>
      run(
        process.execPath,
        [
          '--import',
          'tsx',
          'scripts/cli.ts',
          'submit',
          'Rock pools',
          '--type',
          'summary',
          '--wait',
          '--url',
          app.url,
        ],
        {
          cwd: root,
          env: { PATH: process.env.PATH ?? '', SWITCHYARD_TOKEN: token, LOG_LEVEL: 'error' },
          timeout: 120_000,
        },
      );
    const contentOfLast = async () => {
      const t = (await u.api.get('/api/tasks')).body.items[0];
      return (await u.api.get(`/api/content/${t.contentId}`)).body.contentData as string;
    };

    await setMockConfig(app.databaseUrl, { tokensPerSecond: 150, failureMode: 'none' });
    const out = await cli();
    expect(out.stderr).toMatch(/completed in [\d.]+s by Mock/);
    expect(out.stdout).toBe(`${await contentOfLast()}\n`);

    await setMockConfig(app.databaseUrl, { tokensPerSecond: 150, failureMode: 'cut_stream', failTimes: 1 });
    const cut = await cli();
    const text = await contentOfLast();
    const [before, after] = cut.stdout.split('\n\n[incomplete]\n\n');
    expect(before!.length).toBeGreaterThan(0);
    expect(text.startsWith(before!)).toBe(true);
    expect(after).toBe(`${text}\n`);
  }, 180_000);
});
