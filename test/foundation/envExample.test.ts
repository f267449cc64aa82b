import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { envSchema } from '../../src/env.js';

describe('.env.example', () => {
  it('documents every variable of the env schema, and nothing else', () => {
    const text = readFileSync('.env.example', 'utf8');
    const documented = new Set([...text.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]));
    const schemaKeys = Object.keys(envSchema.shape);
    for (const k of schemaKeys) expect(documented, k).toContain(k);
    for (const k of documented) expect(schemaKeys, k).toContain(k);
  });
});
