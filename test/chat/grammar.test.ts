import { describe, expect, it } from 'vitest';
import { buildGenerate, parseCommand } from '../../src/core/commands/grammar.js';
import { helpText } from '../../src/core/commands/help.js';

const ok = (text: string) => {
  const r = parseCommand(text);
  if (!r.ok) throw new Error(`expected ok for ${JSON.stringify(text)}, got: ${r.error}`);
  return r.command;
};
const err = (text: string) => {
  const r = parseCommand(text);
  if (r.ok)
    throw new Error(`expected an error for ${JSON.stringify(text)}, got ${JSON.stringify(r.command)}`);
  return r;
};

describe('chat command grammar', () => {
  it('parses a plain generate with the prompt verbatim', () => {
    expect(ok('generate Write a haiku about the sea')).toEqual({
      name: 'generate',
      prompt: 'Write a haiku about the sea',
    });
    expect(ok('  GENERATE   two  spaces\nand a newline ')).toEqual({
      name: 'generate',
      prompt: 'two  spaces\nand a newline',
    });
  });

  it('accepts flags in any order, with = or a separate value', () => {
    const a = ok('generate --type code --priority high --provider Claude sort a list');
    const b = ok('generate --provider=Claude --priority=HIGH --type=Code sort a list');
    const expected = {
      name: 'generate',
      prompt: 'sort a list',
      taskType: 'code',
      priority: 'high',
      provider: 'Claude',
    };
    expect(a).toEqual(expected);
    expect(b).toEqual(expected);
  });

  it('strips quotes around the whole prompt and keeps inner ones', () => {
    expect(ok('generate --type summary "Summarise: the plan, the risks"')).toMatchObject({
      prompt: 'Summarise: the plan, the risks',
      taskType: 'summary',
    });
    expect(ok('generate “smart quotes from a phone”')).toMatchObject({ prompt: 'smart quotes from a phone' });
    expect(ok('generate say "hi" to "them"')).toMatchObject({ prompt: 'say "hi" to "them"' });
    expect(ok('generate "a" and "b"')).toMatchObject({ prompt: '"a" and "b"' });
    expect(ok('generate --provider "My Claude" hello')).toMatchObject({
      provider: 'My Claude',
      prompt: 'hello',
    });
  });

  it('treats options only before the prompt; -- ends them', () => {
    expect(ok('generate explain the --type flag of tsc')).toEqual({
      name: 'generate',
      prompt: 'explain the --type flag of tsc',
    });
    expect(ok('generate --priority low -- --verbose is a flag')).toMatchObject({
      priority: 'low',
      prompt: '--verbose is a flag',
    });
  });

  it('understands typographic dashes that phones substitute for --', () => {
    expect(ok('generate —type code —priority urgent fizzbuzz')).toMatchObject({
      taskType: 'code',
      priority: 'urgent',
      prompt: 'fizzbuzz',
    });
    expect(ok('generate — a dash starts this prompt')).toMatchObject({
      prompt: '— a dash starts this prompt',
    });
  });

  it('rejects unknown flags, missing values, repeated flags and bad priorities', () => {
    expect(err('generate --model gpt-5 hello').error).toMatch(/Unknown option "--model"/);
    expect(err('generate --type').error).toMatch(/--type needs a value/);
    expect(err('generate --type --priority high x').error).toMatch(/--type needs a value/);
    expect(err('generate --type a --type b x').error).toMatch(/given twice/);
    const bad = err('generate --priority asap do it');
    expect(bad.error).toMatch(/"asap" is not a priority.*low, normal, high, urgent/);
    expect(bad.name).toBe('generate');
    expect(err('generate --type "not a type" x').error).toMatch(/is not a task type/);
  });

  it('rejects a missing prompt', () => {
    expect(err('generate').error).toMatch(/What should I generate/);
    expect(err('generate --type code').error).toMatch(/What should I generate/);
    expect(err('generate ""').error).toMatch(/What should I generate/);
    expect(err(`generate ${'x'.repeat(8001)}`).error).toMatch(/too long/);
  });

  it('keeps unicode prompts intact (NFC)', () => {
    expect(ok('generate Übersetze „Grüße“ ins Japanische 日本語 ✨🚀')).toMatchObject({
      prompt: 'Übersetze „Grüße“ ins Japanische 日本語 ✨🚀',
    });
    // A decomposed é (e + U+0301) is normalised to the composed form.
    expect(ok('generate cafe\u0301')).toMatchObject({ prompt: 'café' });
    expect(ok('generate --type translation "Привет, мир" на английский')).toMatchObject({
      taskType: 'translation',
      prompt: '"Привет, мир" на английский',
    });
  });

  it('parses the other commands', () => {
    expect(ok('status ab12cd34')).toEqual({ name: 'status', ref: 'ab12cd34' });
    expect(ok('/cancel 0f0e0d0c-0000-4000-8000-000000000001')).toEqual({
      name: 'cancel',
      ref: '0f0e0d0c-0000-4000-8000-000000000001',
    });
    expect(ok('share ab12cd34')).toEqual({ name: 'share', ref: 'ab12cd34' });
    expect(ok('tasks')).toEqual({ name: 'tasks' });
    expect(ok('list')).toEqual({ name: 'tasks' });
    expect(ok('providers')).toEqual({ name: 'providers' });
    expect(ok('Help')).toEqual({ name: 'help' });
    expect(ok('')).toEqual({ name: 'help' });
    expect(ok('link ABCDE-FGHJK')).toEqual({ name: 'link', code: 'ABCDE-FGHJK' });
    expect(ok('link abcde fghjk')).toEqual({ name: 'link', code: 'abcdefghjk' });
  });

  it('explains a missing argument and an unknown command', () => {
    expect(err('status').error).toMatch(/Which task\? Usage: status <taskId>/);
    expect(err('link').error).toMatch(/Which code\?/);
    const unknown = err('summon a dragon');
    expect(unknown.error).toBe('I don\'t know the command "summon".');
    expect(unknown.name).toBeUndefined();
  });

  it('validates structured options the same way (Discord)', () => {
    expect(buildGenerate({ prompt: ' hi ', priority: 'URGENT', taskType: 'social-post' })).toEqual({
      ok: true,
      command: { name: 'generate', prompt: 'hi', priority: 'urgent', taskType: 'social_post' },
    });
    expect(buildGenerate({ prompt: 'hi', priority: 'soon' }).ok).toBe(false);
  });

  it('writes help the way each platform types commands', () => {
    expect(helpText('slack')).toContain('/sy generate [--type T]');
    expect(helpText('telegram')).toContain('/status <taskId>');
    expect(helpText('discord', 'https://sy.example')).toContain('https://sy.example/links');
  });
});
