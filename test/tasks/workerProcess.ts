import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A real worker process: `node --import tsx src/main.ts --services=worker` on the test database. */
export interface WorkerProcess {
  child: ChildProcess;
  /** Everything it printed (stdout + stderr). */
  output(): string;
  kill(signal: NodeJS.Signals): Promise<void>;
}

const root = path.resolve(import.meta.dirname, '../..');

export async function spawnWorker(
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', '--services=worker'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      DATABASE_URL: databaseUrl,
      JWT_SECRET: 'test-jwt-secret-that-is-long-enough-0123456789',
      ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
      // Like the in-process test app: the built-in Mock answers at once (start-up writes its pace).
      MOCK_TOKENS_PER_SECOND: '0',
      // Small pools, as test/ops/cluster.ts: several of these share one server's max_connections.
      DATABASE_POOL_MAX: '5',
      DATA_DIR: mkdtempSync(path.join(tmpdir(), 'sy-worker-')),
      LOG_LEVEL: 'info',
      PORT: '0',
      HOST: '127.0.0.1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (b) => (out += String(b)));
  child.stderr!.on('data', (b) => (out += String(b)));
  const exited = once(child, 'exit');
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start:\n${out}`)), 120_000);
    const check = () => {
      if (out.includes('Switchyard is running')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`worker exited before it was ready:\n${out}`));
    });
  });
  await ready;
  return {
    child,
    output: () => out,
    async kill(signal) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await exited;
    },
  };
}
