import { buildCommand, type ChatCommand } from '../commands/grammar.js';

/**
 * Finds a `/generate …` trigger in a GitHub issue, pull request or comment body: a line that
 * starts with `/generate` (leading spaces allowed). What follows — the rest of that line and every
 * line after it — is parsed with the chat grammar (core/commands/grammar.ts), so options work the
 * same as in chat: `/generate [--type T] [--priority P] [--provider NAME] <prompt>`.
 */
export type Trigger = Extract<ChatCommand, { name: 'generate' }>;

const TRIGGER_LINE = /^[ \t]*\/generate(?=\s|$)/m;

export type TriggerResult =
  | { found: false }
  | { found: true; ok: true; trigger: Trigger }
  | { found: true; ok: false; error: string };

export function extractTrigger(text: string | null | undefined): TriggerResult {
  if (!text) return { found: false };
  const normalized = text.replace(/\r\n?/g, '\n');
  const m = TRIGGER_LINE.exec(normalized);
  if (!m) return { found: false };
  const r = buildCommand('generate', normalized.slice(m.index + m[0].length));
  if (!r.ok) return { found: true, ok: false, error: r.error };
  if (r.command.name !== 'generate') return { found: true, ok: false, error: 'not a generate command' };
  return { found: true, ok: true, trigger: r.command };
}
