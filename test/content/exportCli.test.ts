import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PDFParse } from 'pdf-parse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import { contentWithBody } from './helpers.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

let app: TestApp;
let dataDir: string;
beforeAll(async () => {
  app = await startTestApp({ roles: ['api', 'worker'] });
  dataDir = mkdtempSync(path.join(tmpdir(), 'sy-export-cli-'));
});
afterAll(async () => {
  await app?.close();
});

/** `npm run cli -- export …` as a real process against the test database. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const out = await run(process.execPath, ['--import', 'tsx', 'scripts/cli.ts', ...args], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'test',
        LOG_LEVEL: 'error',
        DATABASE_URL: app.databaseUrl,
        DATA_DIR: dataDir,
      },
      timeout: 60_000,
    });
    return { code: 0, stdout: out.stdout, stderr: out.stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof err.code === 'number' ? err.code : -1,
      stdout: err.stdout ?? '',
      stderr: err.stderr ?? '',
    };
  }
}

/** Each CLI run is a fresh Node process that boots the app (a few seconds under tsx). */
const CLI_TEST_TIMEOUT = 180_000;

const outDir = () => mkdtempSync(path.join(tmpdir(), 'sy-export-out-'));
const files = (dir: string) => readdirSync(dir).sort();

describe('npm run cli -- export', () => {
  let alice: Awaited<ReturnType<typeof registerUser>>;
  let bob: Awaited<ReturnType<typeof registerUser>>;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    alice = await registerUser(app.url);
    bob = await registerUser(app.url);
    ids.a1 = (await contentWithBody(alice.api, 'Alice first body', 'Same Title')).contentId;
    ids.a2 = (await contentWithBody(alice.api, 'Alice second body', 'Same Title')).contentId;
    ids.b1 = (await contentWithBody(bob.api, 'Bob body', '../../etc/passwd')).contentId;
  }, CLI_TEST_TIMEOUT);

  it(
    'documents itself in --help',
    async () => {
      const r = await cli(['export', '--help']);
      expect(r.code).toBe(0);
      for (const flag of ['--all', '--user', '--since', '--format', '--out', '--overwrite'])
        expect(r.stdout).toContain(flag);
    },
    CLI_TEST_TIMEOUT,
  );

  it(
    'writes one safely named file per item, then skips them on a re-run',
    async () => {
      const dir = outDir();
      const first = await cli(['export', '--all', '--format', 'markdown', '--out', dir]);
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toContain('3 written, 0 skipped, 0 failed');
      const names = files(dir);
      expect(names).toHaveLength(3);
      expect(names).toEqual(
        [`Same-Title-v2-${ids.a1}.md`, `Same-Title-v2-${ids.a2}.md`, `etc-passwd-v2-${ids.b1}.md`].sort(),
      );
      expect(readFileSync(path.join(dir, `Same-Title-v2-${ids.a1}.md`), 'utf8')).toBe(
        '# Same Title\n\nAlice first body\n',
      );
      expect(readFileSync(path.join(dir, `etc-passwd-v2-${ids.b1}.md`), 'utf8')).toContain('Bob body');

      // A file that is already there is kept as it is.
      writeFileSync(path.join(dir, `Same-Title-v2-${ids.a2}.md`), 'kept');
      const again = await cli(['export', '--all', '--format', 'markdown', '--out', dir]);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toContain('0 written, 3 skipped, 0 failed');
      expect(readFileSync(path.join(dir, `Same-Title-v2-${ids.a2}.md`), 'utf8')).toBe('kept');
      expect(files(dir)).toEqual(names);

      // A new version is a new file; the rest is skipped.
      await alice.api.put(`/api/content/${ids.a1}`, { contentData: 'Alice edited body' });
      const third = await cli(['export', '--all', '--format', 'markdown', '--out', dir]);
      expect(third.stdout).toContain('1 written, 2 skipped, 0 failed');
      expect(readFileSync(path.join(dir, `Same-Title-v3-${ids.a1}.md`), 'utf8')).toContain(
        'Alice edited body',
      );

      const forced = await cli(['export', '--all', '--format', 'markdown', '--out', dir, '--overwrite']);
      expect(forced.stdout).toContain('3 written, 0 skipped, 0 failed');
      expect(readFileSync(path.join(dir, `Same-Title-v2-${ids.a2}.md`), 'utf8')).toContain(
        'Alice second body',
      );
      expect(files(dir).some((f) => f.includes('.partial-'))).toBe(false);
    },
    CLI_TEST_TIMEOUT,
  );

  it(
    'filters by user (name or id) and by date, in any format',
    async () => {
      const byName = outDir();
      const r1 = await cli([
        'export',
        '--user',
        alice.user.username.toUpperCase(),
        '--format',
        'pdf',
        '--out',
        byName,
      ]);
      expect(r1.code, r1.stderr).toBe(0);
      expect(r1.stdout).toContain('2 written');
      expect(files(byName).every((f) => f.endsWith('.pdf'))).toBe(true);
      expect(
        files(byName)
          .map((f) => f.slice(-40, -4))
          .sort(),
      ).toEqual([ids.a1, ids.a2].sort());
      const pdf = readFileSync(path.join(byName, files(byName).find((f) => f.includes(ids.a2))!));
      const parser = new PDFParse({ data: new Uint8Array(pdf) });
      try {
        expect((await parser.getText()).text).toContain('Alice second body');
      } finally {
        await parser.destroy();
      }

      const byId = outDir();
      const r2 = await cli(['export', '--user', bob.user.id, '--format', 'json', '--out', byId]);
      expect(r2.code, r2.stderr).toBe(0);
      expect(files(byId)).toEqual([`etc-passwd-v2-${ids.b1}.json`]);
      expect(JSON.parse(readFileSync(path.join(byId, files(byId)[0]!), 'utf8'))).toMatchObject({
        id: ids.b1,
        contentData: 'Bob body',
        version: 2,
      });

      const future = outDir();
      const r3 = await cli(['export', '--all', '--since', '2999-01-01', '--out', future]);
      expect(r3.code, r3.stderr).toBe(0);
      expect(r3.stdout).toContain('Exported 0 content item(s)');
      expect(files(future)).toEqual([]);
      const past = outDir();
      const r4 = await cli([
        'export',
        '--all',
        '--since',
        '2000-01-01T00:00:00Z',
        '--format',
        'docx',
        '--out',
        past,
      ]);
      expect(r4.stdout).toContain('3 written');
    },
    CLI_TEST_TIMEOUT,
  );

  it(
    'refuses bad arguments with a message and a non-zero exit',
    async () => {
      const dir = outDir();
      for (const [args, message] of [
        [['export', '--out', dir], /--all, or --user/],
        [['export', '--all', '--user', 'x', '--out', dir], /either --all or --user/],
        [['export', '--all', '--since', 'yesterday', '--out', dir], /--since must be an ISO date/],
        [['export', '--all', '--format', 'exe', '--out', dir], /Allowed choices are/],
        [['export', '--all'], /--out/],
        [['export', '--user', 'nobody-here', '--out', dir], /No user with username "nobody-here"/],
      ] as Array<[string[], RegExp]>) {
        const r = await cli(args);
        expect(r.code, args.join(' ')).not.toBe(0);
        expect(r.stderr, args.join(' ')).toMatch(message);
      }
      expect(files(dir)).toEqual([]);
    },
    CLI_TEST_TIMEOUT,
  );
});
