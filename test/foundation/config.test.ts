import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { EnvError, mockProviderEnabled, parseEnv, publicUrlOf } from '../../src/env.js';
import { createLogger } from '../../src/logger.js';
import { resolveSecrets } from '../../src/secrets.js';

describe('configuration', () => {
  it('lists every problem at once', () => {
    let err: unknown;
    try {
      parseEnv({
        PORT: 'eighty',
        DATABASE_URL: 'mysql://x',
        ENCRYPTION_KEY: 'short',
        LOG_LEVEL: 'loud',
        PUBLIC_URL: 'not a url',
        OUTBOUND_ALLOW_PRIVATE: 'maybe',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EnvError);
    const problems = (err as EnvError).problems.join('\n');
    for (const v of [
      'PORT',
      'DATABASE_URL',
      'ENCRYPTION_KEY',
      'LOG_LEVEL',
      'PUBLIC_URL',
      'OUTBOUND_ALLOW_PRIVATE',
    ])
      expect(problems).toContain(v);
  });

  it('requires JWT_SECRET and ENCRYPTION_KEY in production', () => {
    expect(() => parseEnv({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET[\s\S]*ENCRYPTION_KEY/);
    const ok = parseEnv({
      NODE_ENV: 'production',
      JWT_SECRET: 'x'.repeat(32),
      ENCRYPTION_KEY: Buffer.alloc(32).toString('base64'),
    });
    expect(ok.NODE_ENV).toBe('production');
  });

  it('applies defaults and turns the mock provider on only without real keys', () => {
    const env = parseEnv({});
    expect(env.PORT).toBe(3000);
    expect(env.DATA_DIR).toBe('./data');
    expect(env.TELEGRAM_API_ROOT).toBe('https://api.telegram.org');
    expect(mockProviderEnabled(env)).toBe(true);
    expect(mockProviderEnabled(parseEnv({ OPENAI_API_KEY: 'sk-test' }))).toBe(false);
    expect(mockProviderEnabled(parseEnv({ OPENAI_API_KEY: 'sk-test', MOCK_PROVIDER: 'on' }))).toBe(true);
  });

  it('keeps PUBLIC_URL without trailing slashes, so every link built from it has one slash', () => {
    expect(parseEnv({ PUBLIC_URL: 'https://hub.example.org/' }).PUBLIC_URL).toBe('https://hub.example.org');
    expect(parseEnv({ PUBLIC_URL: ' https://hub.example.org/switchyard// ' }).PUBLIC_URL).toBe(
      'https://hub.example.org/switchyard',
    );
    expect(parseEnv({ PUBLIC_URL: '' }).PUBLIC_URL).toBeUndefined();
  });

  it('links start with PUBLIC_URL, else the address the API listens on, else localhost:PORT', () => {
    const set = parseEnv({ PUBLIC_URL: 'https://hub.example.org/', PORT: '8080' });
    expect(publicUrlOf(set)).toBe('https://hub.example.org');
    expect(publicUrlOf(set, 'http://127.0.0.1:41234')).toBe('https://hub.example.org');
    const unset = parseEnv({ PORT: '0' });
    expect(publicUrlOf(unset, 'http://127.0.0.1:41234')).toBe('http://127.0.0.1:41234');
    expect(publicUrlOf(unset)).toBe('http://localhost:0');
    expect(publicUrlOf(parseEnv({}))).toBe('http://localhost:3000');
  });

  it('generates missing secrets once outside production and keeps them under DATA_DIR', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sy-secrets-'));
    const lines: string[] = [];
    const logger = createLogger({
      level: 'warn',
      json: true,
      stream: new Writable({
        write: (c: Buffer, _e: string, cb: () => void) => {
          lines.push(String(c));
          cb();
        },
      }),
    });
    const env = parseEnv({ DATA_DIR: dir });
    const a = resolveSecrets(env, logger);
    const b = resolveSecrets(env, logger);
    expect(a.jwtSecret).toBe(b.jwtSecret);
    expect(a.encryptionKey.equals(b.encryptionKey)).toBe(true);
    expect(a.encryptionKey).toHaveLength(32);
    const file = path.join(dir, 'secrets.json');
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8')).jwtSecret).toBe(a.jwtSecret);
    expect(lines.join('')).toMatch(/JWT_SECRET and ENCRYPTION_KEY not set/);
    expect(lines.join('')).not.toContain(a.jwtSecret);
  });
});
