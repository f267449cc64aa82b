import { describe, expect, it } from 'vitest';
import { extractTrigger } from '../../src/core/webhooks/trigger.js';

describe('GitHub /generate trigger', () => {
  it('finds a line starting with /generate and parses it with the chat grammar', () => {
    expect(
      extractTrigger('Please help\r\n  /generate --type code --priority=high write a parser\nin TypeScript'),
    ).toEqual({
      found: true,
      ok: true,
      trigger: {
        name: 'generate',
        prompt: 'write a parser\nin TypeScript',
        taskType: 'code',
        priority: 'high',
      },
    });
    expect(extractTrigger('/generate --provider "My Claude" a haiku')).toMatchObject({
      ok: true,
      trigger: { provider: 'My Claude', prompt: 'a haiku' },
    });
  });

  it('ignores text without a trigger line', () => {
    for (const t of [
      null,
      '',
      'hello',
      'mention /generate in the middle',
      '/generated x',
      '`/generate` in code',
    ]) {
      expect(extractTrigger(t)).toEqual({ found: false });
    }
  });

  it('reports a malformed trigger', () => {
    expect(extractTrigger('/generate')).toMatchObject({ found: true, ok: false });
    expect(extractTrigger('/generate --bogus x')).toMatchObject({
      found: true,
      ok: false,
      error: expect.stringMatching(/Unknown option/),
    });
  });
});
