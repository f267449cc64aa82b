/**
 * `npm run lint:openapi`: lints the OpenAPI document the server serves at /api/openapi.json with
 * Spectral's `spectral:oas` rules (.spectral.yaml).
 *
 * It boots the API role the way `npm run api:types` does (scripts/apiTypes.ts: port 0, DATABASE_URL or a
 * throwaway embedded PostgreSQL), writes the document to a temporary file and runs the Spectral CLI
 * (@stoplight/spectral-cli, a dev dependency) on it. Arguments are passed on to `spectral lint`, e.g.
 * `npm run lint:openapi -- --format json`. `--keep FILE` also writes the document to FILE. The exit code
 * is Spectral's, failing on warnings as well as errors (the document has none) unless `--fail-severity`
 * (`-F`) is given: `npm run lint:openapi -- -F error` lets warnings pass.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fetchServedDocument } from './apiTypes.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const spectral = path.join(root, 'node_modules', '.bin', 'spectral');

async function main(argv: string[]): Promise<number> {
  if (!existsSync(spectral)) {
    process.stderr.write(
      'Spectral is not installed: run `npm install` (it is a dev dependency, @stoplight/spectral-cli).\n',
    );
    return 1;
  }
  const keepAt = argv.indexOf('--keep');
  const keep = keepAt >= 0 ? argv[keepAt + 1] : undefined;
  const pass = keepAt >= 0 ? argv.filter((_, i) => i !== keepAt && i !== keepAt + 1) : argv;

  // The document has no warnings: keep it so (a warning fails) unless the caller picks a severity.
  const failOnWarnings = pass.some((a) => a === '-F' || a.startsWith('--fail-severity'))
    ? []
    : ['--fail-severity', 'warn'];

  const json = `${JSON.stringify(await fetchServedDocument(), null, 2)}\n`;
  if (keep) writeFileSync(path.resolve(keep), json);
  const dir = mkdtempSync(path.join(tmpdir(), 'switchyard-openapi-'));
  try {
    const file = path.join(dir, 'openapi.json');
    writeFileSync(file, json);
    const r = spawnSync(
      spectral,
      ['lint', file, '--ruleset', path.join(root, '.spectral.yaml'), ...failOnWarnings, ...pass],
      { cwd: root, stdio: 'inherit' },
    );
    if (r.error) throw r.error;
    return r.status ?? 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
