/**
 * `npm run bench`: every benchmark in turn. Figures only: nothing here decides pass or fail.
 * Single benchmarks: npm run bench:queue | bench:router | bench:intake.
 */

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { benchLogin, benchStartup } from './foundation.js';

await benchStartup();
await benchLogin();
for (const name of ['queue', 'router', 'intake']) {
  const file = `bench/${name}.ts`;
  if (!existsSync(file)) continue;
  console.log(`\n== bench:${name}`);
  spawnSync(process.execPath, ['--import', 'tsx', file], { stdio: 'inherit' });
}
