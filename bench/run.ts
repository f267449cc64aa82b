/**
 * `npm run bench`: every benchmark in turn. Figures only: nothing here decides pass or fail.
 * Single benchmarks: npm run bench:queue | bench:router | bench:intake | bench:rest | bench:content | bench:cache.
 */

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { benchLogin, benchStartup } from './foundation.js';

await benchStartup();
await benchLogin();
for (const [name, script] of [
  ['queue', 'queue'],
  ['router', 'router'],
  ['intake', 'intake'],
  ['rest', 'restIntake'],
  ['content', 'contentLoad'],
  ['cache', 'cache'],
]) {
  const file = `bench/${script}.ts`;
  if (!existsSync(file)) continue;
  console.log(`\n== bench:${name}`);
  spawnSync(process.execPath, ['--import', 'tsx', file], { stdio: 'inherit' });
}
