import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type BuildTarget, buildChanged, prepareSkipReason, TARGETS } from '../../scripts/build.js';

/**
 * scripts/build.ts (npm install's prepare, npm start's prestart, npm run build) builds only what changed.
 * Here it drives a small project whose build script (run through npm, as for the real targets) copies
 * app/src into app/dist and counts its runs.
 */
const root = path.resolve(import.meta.dirname, '../..');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const target: BuildTarget = {
  name: 'web',
  inputs: ['app', 'package.json'],
  outDir: 'app/dist',
  marker: 'app/dist/out.txt',
  script: 'build:app',
};

function project() {
  const dir = mkdtempSync(path.join(tmpdir(), 'sy-build-'));
  dirs.push(dir);
  mkdirSync(path.join(dir, 'app/src'), { recursive: true });
  writeFileSync(path.join(dir, 'app/src/a.txt'), 'one');
  writeFileSync(
    path.join(dir, 'build.mjs'),
    `import fs from 'node:fs';
fs.appendFileSync('runs.log', 'run\\n');
fs.mkdirSync('app/dist', { recursive: true });
if (fs.existsSync('app/src/FAIL')) {
  fs.writeFileSync('app/dist/out.txt', 'half-built'); // like tsc emitting despite type errors
  process.exit(2);
}
fs.writeFileSync('app/dist/out.txt', fs.readdirSync('app/src').map((f) => fs.readFileSync('app/src/' + f, 'utf8')).join());
`,
  );
  writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ scripts: { 'build:app': 'node build.mjs' } }),
  );
  const runs = () =>
    existsSync(path.join(dir, 'runs.log'))
      ? readFileSync(path.join(dir, 'runs.log'), 'utf8').split('\n').length - 1
      : 0;
  const out = () => readFileSync(path.join(dir, 'app/dist/out.txt'), 'utf8');
  return { dir, runs, out, write: (f: string, s: string) => writeFileSync(path.join(dir, 'app/src', f), s) };
}

describe('build what changed (scripts/build.ts)', () => {
  it('builds the first time, skips while nothing changed, rebuilds after any change to an input', () => {
    const p = project();
    expect(buildChanged(p.dir, [target])).toBe(true);
    expect(p.runs()).toBe(1);
    expect(p.out()).toBe('one');
    // Its own output (app/dist, inside an input directory) does not count as a change.
    expect(buildChanged(p.dir, [target])).toBe(true);
    expect(p.runs()).toBe(1);

    p.write('a.txt', 'two'); // same size, new content
    expect(buildChanged(p.dir, [target])).toBe(true);
    expect(p.runs()).toBe(2);
    expect(p.out()).toBe('two');

    p.write('b.txt', 'three'); // a new file
    buildChanged(p.dir, [target]);
    expect(p.runs()).toBe(3);
    renameSync(path.join(p.dir, 'app/src/b.txt'), path.join(p.dir, 'app/src/c.txt')); // a rename
    buildChanged(p.dir, [target]);
    expect(p.runs()).toBe(4);
    rmSync(path.join(p.dir, 'app/src/c.txt')); // a deletion, back to the first build's files
    buildChanged(p.dir, [target]);
    expect(p.runs()).toBe(5);
    expect(p.out()).toBe('two');

    rmSync(path.join(p.dir, 'app/dist'), { recursive: true }); // output removed: builds again
    buildChanged(p.dir, [target]);
    expect(p.runs()).toBe(6);
    buildChanged(p.dir, [target]);
    expect(p.runs()).toBe(6);
  });

  it('a failed build reports failure and runs again next time, even when the sources go back to the last good build', () => {
    const p = project();
    buildChanged(p.dir, [target]);
    p.write('FAIL', '');
    expect(buildChanged(p.dir, [target])).toBe(false);
    expect(buildChanged(p.dir, [target])).toBe(false);
    expect(p.runs()).toBe(3);
    rmSync(path.join(p.dir, 'app/src/FAIL'));
    expect(buildChanged(p.dir, [target])).toBe(true);
    expect(p.runs()).toBe(4);
    expect(p.out()).toBe('one');
  });

  it('the real targets cover the server and portal sources and their configuration', () => {
    const byName = Object.fromEntries(TARGETS.map((t) => [t.name, t]));
    expect(byName.server.inputs).toEqual(
      expect.arrayContaining(['src', 'config', 'scripts', 'tsconfig.build.json']),
    );
    expect(byName.web.inputs).toEqual(expect.arrayContaining(['web', 'package-lock.json']));
    const tsconfigBuild = JSON.parse(readFileSync(path.join(root, 'tsconfig.build.json'), 'utf8'));
    expect(tsconfigBuild.include).toEqual(['src', 'config', 'scripts']);
  });

  it('npm install builds only where it can: sources, dev dependencies and a supported Node present', () => {
    expect(prepareSkipReason(root, '22.12.0')).toBeUndefined();
    expect(prepareSkipReason(root, '20.19.0')).toMatch(/unsupported Node\.js/);
    const bare = mkdtempSync(path.join(tmpdir(), 'sy-prepare-'));
    dirs.push(bare);
    expect(prepareSkipReason(bare, '22.12.0')).toBe('no sources here yet');
    mkdirSync(path.join(bare, 'src'));
    writeFileSync(path.join(bare, 'src/main.ts'), '');
    expect(prepareSkipReason(bare, '22.12.0')).toMatch(/^dev dependencies are not installed \(no tsc\)/);

    // A dependencies-only Docker layer has package.json but no scripts/build.ts: prepare succeeds, doing nothing.
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
    const r = spawnSync('sh', ['-c', pkg.scripts.prepare], { cwd: bare, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(path.join(bare, 'dist'))).toBe(false);
  });

  it('checks the Node.js version before building anything (npm start on Node 20: one line, exit 1)', () => {
    const fake = 'data:text/javascript,Object.defineProperty(process.versions,"node",{value:"20.19.0"})';
    const r = spawnSync(process.execPath, ['--import', fake, '--import', 'tsx', 'scripts/build.ts'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, npm_execpath: '/nonexistent/npm-cli.js' },
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      'Switchyard needs Node.js 22 LTS (22.12 or later) or 24 LTS; this is Node.js 20.19.0. Install a supported version (e.g. nvm install 22) and start again.',
    ]);
    const prepare = spawnSync(
      process.execPath,
      ['--import', fake, '--import', 'tsx', 'scripts/build.ts', '--prepare'],
      {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, npm_execpath: '/nonexistent/npm-cli.js' },
        timeout: 60_000,
      },
    );
    expect(prepare.status, prepare.stderr).toBe(0);
    expect(prepare.stderr).toMatch(/^Switchyard: not building now: unsupported Node\.js version/);
  });
});
