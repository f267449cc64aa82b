import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * scripts/setup-system.sh (npm test's pretest) decides whether to install Chromium. These tests run the
 * real script with id, sudo and apt-get replaced by stubs on PATH that record what they were asked to do;
 * the stub apt-get "installs" Chromium by creating the file at CHROMIUM_PATH.
 */
const root = path.resolve(import.meta.dirname, '../..');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

interface Machine {
  uid: number;
  sudo: 'passwordless' | 'password' | 'absent';
  apt?: boolean;
  chromiumPresent?: boolean;
}

function run(m: Machine) {
  const dir = mkdtempSync(path.join(tmpdir(), 'sy-setup-'));
  dirs.push(dir);
  const bin = path.join(dir, 'bin');
  const log = path.join(dir, 'calls.log');
  const chromium = path.join(dir, 'chromium');
  const stub = (name: string, body: string) => {
    writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(path.join(bin, name), 0o755);
  };
  mkdirSync(bin);
  for (const real of ['env', 'true']) symlinkSync(`/usr/bin/${real}`, path.join(bin, real));
  stub('id', `echo ${m.uid}`);
  if (m.sudo === 'passwordless') stub('sudo', `echo "sudo $*" >> ${log}\n[ "$1" = -n ] && shift\nexec "$@"`);
  if (m.sudo === 'password')
    stub('sudo', `echo "sudo $*" >> ${log}\necho 'sudo: a password is required' >&2\nexit 1`);
  if (m.apt !== false)
    stub(
      'apt-get',
      `echo "apt-get $* (DEBIAN_FRONTEND=$DEBIAN_FRONTEND)" >> ${log}\ncase "$*" in *install*) : > ${chromium}; /bin/chmod 755 ${chromium};; esac`,
    );
  if (m.chromiumPresent) {
    writeFileSync(chromium, '#!/bin/sh\n');
    chmodSync(chromium, 0o755);
  }
  const r = spawnSync('/bin/bash', [path.join(root, 'scripts/setup-system.sh')], {
    env: { PATH: bin, CHROMIUM_PATH: chromium },
    encoding: 'utf8',
  });
  const calls = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [];
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, calls, installed: existsSync(chromium) };
}

describe('npm test brings Chromium (scripts/setup-system.sh)', () => {
  it('is what pretest runs first, before building the portal', () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
    expect(pkg.scripts.pretest).toMatch(/^bash scripts\/setup-system\.sh && /);
  });

  it('does nothing when Chromium is there', () => {
    const r = run({ uid: 1000, sudo: 'absent', chromiumPresent: true });
    expect(r).toMatchObject({ status: 0, stdout: '', stderr: '', calls: [] });
  });

  it('missing, as root: installs Debian chromium with apt-get', () => {
    const r = run({ uid: 0, sudo: 'absent' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.calls).toEqual([
      'apt-get update -qq (DEBIAN_FRONTEND=noninteractive)',
      'apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core (DEBIAN_FRONTEND=noninteractive)',
    ]);
    expect(r.installed).toBe(true);
  });

  it('missing, not root but with passwordless sudo: installs through sudo -n', () => {
    const r = run({ uid: 1000, sudo: 'passwordless' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.calls.filter((c) => c.startsWith('apt-get'))).toHaveLength(2);
    expect(
      r.calls.filter((c) => c.startsWith('sudo -n env DEBIAN_FRONTEND=noninteractive apt-get')),
    ).toHaveLength(2);
    expect(r.installed).toBe(true);
  });

  for (const sudo of ['password', 'absent'] as const) {
    it(`missing, not root, sudo ${sudo === 'absent' ? 'absent' : 'asks for a password'}: one line saying what to run, exit 1, nothing installed`, () => {
      const r = run({ uid: 1000, sudo });
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^Chromium \(for the portal's end-to-end tests\) is missing at .*: run 'sudo apt-get install -y chromium'/,
      );
      expect(r.calls.filter((c) => c.startsWith('apt-get'))).toEqual([]);
      expect(r.installed).toBe(false);
    });
  }

  it('missing on a machine without apt-get: one line, exit 1', () => {
    const r = run({ uid: 0, sudo: 'absent', apt: false });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('set CHROMIUM_PATH');
  });
});
