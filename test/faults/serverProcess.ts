import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';

/**
 * `npm start` as a child process: `node --import tsx src/main.ts` on the embedded database under
 * `dataDir` (DATABASE_URL unset). `detached` puts it in its own process group, so a test can send
 * SIGINT to the whole group as a terminal's Ctrl-C does.
 */
export interface ServerProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  exited: Promise<number | null>;
}

export const root = path.resolve(import.meta.dirname, '../..');

export function childEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    ADMIN_EMAIL: '',
    ADMIN_PASSWORD: '',
    ...extra,
  };
  delete env.DATABASE_URL;
  delete env.FORCE_COLOR;
  return env;
}

export function startServer(
  dataDir: string,
  port: number,
  opts: { env?: Record<string, string>; services?: string; detached?: boolean } = {},
): ServerProcess {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/main.ts', `--services=${opts.services ?? 'api,worker'}`],
    {
      cwd: root,
      env: childEnv(dataDir, { PORT: String(port), ...opts.env }),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: opts.detached ?? false,
    },
  );
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, url: `http://127.0.0.1:${port}`, output: () => output, exited };
}

export async function waitReady(s: ServerProcess, timeoutMs = 90_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (s.child.exitCode !== null) throw new Error(`exited early (${s.child.exitCode}):\n${s.output()}`);
    try {
      const r = await fetch(`${s.url}/readyz`);
      if (r.status === 200) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not ready:\n${s.output()}`);
}

/** Runs the CLI (`tsx scripts/cli.ts …`) on `dataDir`; resolves with its exit code and output. */
export async function runCli(
  dataDir: string,
  args: string[],
  opts: { stdin?: string } = {},
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/cli.ts', ...args], {
    cwd: root,
    env: childEnv(dataDir),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  child.stdin.end(opts.stdin ?? '');
  const [code] = await once(child, 'exit');
  return { code: code as number | null, output };
}

export const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
