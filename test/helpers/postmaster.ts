import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Stops a postmaster that a test left running in `pgData` (a SIGKILLed server leaves it behind).
 * Only a process whose command line names that data directory is signalled: the pid in a stale
 * `postmaster.pid` may by now belong to any process — another file's PostgreSQL included.
 */
export async function stopLeftoverPostmaster(pgData: string): Promise<void> {
  const pidFile = path.join(pgData, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!pid || !runs(pid, pgData)) return;
  process.kill(pid, 'SIGINT'); // fast shutdown
  for (let i = 0; i < 50 && runs(pid, pgData); i++) await new Promise((r) => setTimeout(r, 100));
}

function runs(pid: number, pgData: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(pgData);
  } catch {
    return false;
  }
}
