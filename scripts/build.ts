/**
 * Builds what changed and nothing else: the server (`npm run build:server` → dist/) and the portal
 * (`npm run build:web` → web/dist/). Each output keeps a SHA-256 of its inputs (every file's path and
 * content) in `.build-hash`; a build whose inputs hash the same as last time is skipped. The hash is
 * removed before a build and written only after it succeeds, so after a failed or interrupted build
 * (which may have left part of its output) the next run builds again.
 *
 *   tsx scripts/build.ts            npm run build and npm start (prestart): check Node, build what changed
 *   tsx scripts/build.ts --web      the portal only (npm test's pretest)
 *   tsx scripts/build.ts --prepare  npm install / npm ci: as above, but skipped (exit 0, one line) when the
 *                                   sources or the dev dependencies are absent (a dependencies-only Docker
 *                                   layer, npm ci --omit=dev) or Node is unsupported (npm start says so)
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { checkNodeVersion, exitIfUnsupportedNode } from '../src/nodeVersion.js';

export interface BuildTarget {
  name: 'server' | 'web';
  /** Files and directories (recursively) whose content decides the output. */
  inputs: string[];
  /** The output directory, which holds `.build-hash`. */
  outDir: string;
  /** A file the build always produces: when it is missing the build runs whatever the hash says. */
  marker: string;
  /** The package.json script that builds it. */
  script: string;
}

const shared = ['package.json', 'package-lock.json'];

export const TARGETS: BuildTarget[] = [
  {
    name: 'server',
    inputs: ['src', 'config', 'scripts', 'tsconfig.json', 'tsconfig.build.json', ...shared],
    outDir: 'dist',
    marker: 'dist/src/main.js',
    script: 'build:server',
  },
  {
    name: 'web',
    inputs: ['web', ...shared],
    outDir: 'web/dist',
    marker: 'web/dist/index.html',
    script: 'build:web',
  },
];

const SKIP_DIRS = new Set(['node_modules', 'dist', '.git']);

/** Every file under `rel` (a file or a directory), relative to root, in a stable order. */
function listFiles(root: string, rel: string, out: string[]) {
  const abs = path.join(root, rel);
  if (!statSync(abs).isDirectory()) {
    out.push(rel);
    return;
  }
  const entries = readdirSync(abs, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const e of entries) {
    if (e.isDirectory() && SKIP_DIRS.has(e.name)) continue;
    if (e.isDirectory() || e.isFile()) listFiles(root, path.posix.join(rel, e.name), out);
  }
}

/** SHA-256 over the path and content of every input file, in a stable order. */
export function hashInputs(root: string, inputs: string[]): string {
  const h = createHash('sha256');
  for (const input of inputs) {
    if (!existsSync(path.join(root, input))) {
      h.update(`missing ${input}\0`);
      continue;
    }
    const files: string[] = [];
    listFiles(root, input, files);
    for (const f of files) {
      const content = readFileSync(path.join(root, f));
      h.update(`${f}\0${content.length}\0`);
      h.update(content);
    }
  }
  return h.digest('hex');
}

const stampFile = (root: string, t: BuildTarget) => path.join(root, t.outDir, '.build-hash');

/** The hash to build for, or undefined when the output is up to date. */
export function staleHash(root: string, t: BuildTarget): string | undefined {
  const hash = hashInputs(root, t.inputs);
  if (!existsSync(path.join(root, t.marker))) return hash;
  const stamp = stampFile(root, t);
  const stored = existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : '';
  return stored === hash ? undefined : hash;
}

/** The npm that runs this script (npm sets npm_execpath), else the one on PATH. */
const npm = process.env.npm_execpath
  ? { command: process.execPath, args: [process.env.npm_execpath] }
  : { command: 'npm', args: [] };

/** Builds each stale target through its npm script; returns false at the first failure. */
export function buildChanged(root: string, targets: BuildTarget[]): boolean {
  for (const t of targets) {
    const hash = staleHash(root, t);
    if (!hash) continue;
    process.stderr.write(
      `Building the ${t.name === 'web' ? 'portal' : 'server'} (${t.outDir}/): not built yet, or its sources changed.\n`,
    );
    rmSync(stampFile(root, t), { force: true }); // a failed build may leave part of its output
    const r = spawnSync(npm.command, [...npm.args, 'run', '--silent', t.script], {
      cwd: root,
      stdio: 'inherit',
    });
    if (r.status !== 0) return false;
    writeFileSync(stampFile(root, t), `${hash}\n`);
  }
  return true;
}

/** Why `npm install` should not build here, or undefined when it should. */
export function prepareSkipReason(root: string, nodeVersion: string): string | undefined {
  if (checkNodeVersion(nodeVersion).status === 'unsupported')
    return 'unsupported Node.js version (npm start will say which to install)';
  if (!existsSync(path.join(root, 'src/main.ts'))) return 'no sources here yet';
  for (const bin of ['tsc', 'vite'])
    if (!existsSync(path.join(root, 'node_modules/.bin', bin)))
      return `dev dependencies are not installed (no ${bin}); run npm run build after installing them`;
  return undefined;
}

function main(argv: string[]) {
  const root = path.resolve(import.meta.dirname, '..');
  if (argv.includes('--prepare')) {
    const reason = prepareSkipReason(root, process.versions.node);
    if (reason) {
      process.stderr.write(`Switchyard: not building now: ${reason}.\n`);
      return;
    }
  } else exitIfUnsupportedNode();
  const targets = argv.includes('--web') ? TARGETS.filter((t) => t.name === 'web') : TARGETS;
  if (!buildChanged(root, targets)) process.exit(1);
}

if (/build\.[cm]?[jt]s$/.test(process.argv[1] ?? '')) main(process.argv.slice(2));
