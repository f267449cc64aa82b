import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkNodeVersion } from '../../src/nodeVersion.js';

const root = path.resolve(import.meta.dirname, '../..');

describe('Node.js version check', () => {
  it('accepts Node 22.12+ and 24, refuses older ones, warns on untested ones', () => {
    for (const v of ['v22.12.0', '22.23.3', 'v24.0.0', '24.11.1'])
      expect(checkNodeVersion(v).status, v).toBe('supported');
    for (const v of ['v20.19.2', '20.20.2', 'v22.11.0', 'v18.0.0', 'v16.20.2', 'garbage']) {
      const r = checkNodeVersion(v);
      expect(r.status, v).toBe('unsupported');
      expect(r.status === 'unsupported' && r.message).toContain('Node.js 22 LTS (22.12 or later) or 24 LTS');
    }
    for (const v of ['v23.1.0', 'v25.0.0', 'v26.1.0']) expect(checkNodeVersion(v).status, v).toBe('untested');
  });

  it('main.ts on an old Node prints one line naming the supported versions and exits 1 before loading the app', () => {
    // The running Node pretends to be 20.19.0 before main.ts loads (as `node` 20 would report).
    const fake = 'data:text/javascript,Object.defineProperty(process.versions,"node",{value:"20.19.0"})';
    for (const entry of ['src/main.ts', 'scripts/cli.ts']) {
      const r = spawnSync(process.execPath, ['--import', fake, '--import', 'tsx', entry, '--help'], {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, DATA_DIR: '/nonexistent/never-created' },
        timeout: 60_000,
      });
      expect(r.status, `${entry}: ${r.stderr}`).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toEqual([
        'Switchyard needs Node.js 22 LTS (22.12 or later) or 24 LTS; this is Node.js 20.19.0. Install a supported version (e.g. nvm install 22) and start again.',
      ]);
    }
  });
});
