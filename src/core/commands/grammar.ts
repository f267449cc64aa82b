import { PRIORITIES, type Priority } from '../tasks/types.js';

/**
 * The one chat command grammar, shared by Slack, Discord and Telegram:
 *
 *   generate [--type T] [--priority P] [--provider NAME] <prompt>
 *   status <taskId> | tasks | cancel <taskId> | share <taskId|contentId> | link <code> | providers | help
 *   comment <contentId> <text> | approve <contentId>
 *
 * Options come before the prompt, in any order, as `--type code` or `--type=code`; a value may be
 * quoted (`--provider "My Claude"`). `--` ends the options. Everything after the options is the
 * prompt, verbatim (a prompt wrapped entirely in quotes loses the quotes). Typographic quotes and
 * dashes that phones and chat clients substitute (“…”, —type) are understood too.
 */
export type ChatCommand =
  | { name: 'generate'; prompt: string; taskType?: string; priority?: Priority; provider?: string }
  | { name: 'status'; ref: string }
  | { name: 'tasks' }
  | { name: 'cancel'; ref: string }
  | { name: 'share'; ref: string }
  | { name: 'link'; code: string }
  | { name: 'providers' }
  | { name: 'comment'; ref: string; text: string }
  | { name: 'approve'; ref: string }
  | { name: 'help' };

export type CommandName = ChatCommand['name'];

export const COMMAND_NAMES: readonly CommandName[] = [
  'generate',
  'status',
  'tasks',
  'cancel',
  'share',
  'link',
  'providers',
  'comment',
  'approve',
  'help',
];

export type ParseResult =
  | { ok: true; command: ChatCommand }
  | {
      ok: false;
      error: string /** The command the user meant, when known (for a focused usage line). */;
      name?: CommandName;
    };

export const MAX_PROMPT_LENGTH = 8000;

const ALIASES: Record<string, CommandName> = {
  gen: 'generate',
  g: 'generate',
  list: 'tasks',
  ls: 'tasks',
  stop: 'cancel',
  '?': 'help',
  start: 'help', // Telegram sends /start when a chat with the bot begins
};

const OPTION_NAMES = ['type', 'priority', 'provider'] as const;
type OptionName = (typeof OPTION_NAMES)[number];

const OPEN_QUOTES: Record<string, string> = { '"': '"', '“': '”', '„': '“', '”': '”', '«': '»' };
const DASH_FLAG = /^(?:--|—|–)/;

export const USAGE: Record<CommandName, string> = {
  generate: 'generate [--type T] [--priority low|normal|high|urgent] [--provider NAME] <prompt>',
  status: 'status <taskId>',
  tasks: 'tasks',
  cancel: 'cancel <taskId>',
  share: 'share <taskId|contentId>',
  link: 'link <code>',
  providers: 'providers',
  comment: 'comment <contentId> <text>',
  approve: 'approve <contentId>',
  help: 'help',
};

interface Token {
  value: string;
  start: number;
  end: number;
  quoted: boolean;
}

/** Reads one whitespace-delimited or quoted token starting at `pos` (after skipping whitespace). */
function readToken(s: string, pos: number): Token | null {
  let i = pos;
  while (i < s.length && /\s/u.test(s[i]!)) i++;
  if (i >= s.length) return null;
  const close = OPEN_QUOTES[s[i]!];
  if (close) {
    const end = s.indexOf(close, i + 1);
    const alt = s[i] === '“' ? s.indexOf('"', i + 1) : -1; // mixed “..." from some keyboards
    const stop = end >= 0 ? end : alt;
    if (stop >= 0) return { value: s.slice(i + 1, stop), start: i, end: stop + 1, quoted: true };
  }
  let j = i;
  while (j < s.length && !/\s/u.test(s[j]!)) j++;
  return { value: s.slice(i, j), start: i, end: j, quoted: false };
}

function tokens(s: string, from = 0): Token[] {
  const out: Token[] = [];
  let pos = from;
  for (let t = readToken(s, pos); t; t = readToken(s, pos)) {
    out.push(t);
    pos = t.end;
  }
  return out;
}

/** Strips one pair of matching quotes around the whole prompt. */
function unwrapPrompt(p: string): string {
  const close = OPEN_QUOTES[p[0] ?? ''];
  if (close && p.length >= 2 && (p.endsWith(close) || (p[0] === '“' && p.endsWith('"')))) {
    const inner = p.slice(1, -1);
    // Only when the quotes wrap everything: `"a" and "b"` stays as typed.
    if (!Object.keys(OPEN_QUOTES).some((q) => inner.includes(q))) return inner.trim();
  }
  return p;
}

function parseGenerate(rest: string): ParseResult {
  const opts: Partial<Record<OptionName, string>> = {};
  let pos = 0;
  for (;;) {
    const t = readToken(rest, pos);
    if (!t || t.quoted || !DASH_FLAG.test(t.value)) break;
    const raw = t.value.replace(DASH_FLAG, '');
    if (raw === '') {
      if (t.value === '--') pos = t.end; // `--` ends the options; a lone dash is prose
      break;
    }
    const eq = raw.indexOf('=');
    const name = (eq >= 0 ? raw.slice(0, eq) : raw).toLowerCase();
    if (!(OPTION_NAMES as readonly string[]).includes(name)) {
      // A typographic dash in front of an ordinary word is prose, not an option.
      if (!t.value.startsWith('--')) break;
      return {
        ok: false,
        name: 'generate',
        error: `Unknown option "--${name}". Options: --type, --priority, --provider.`,
      };
    }
    let value: string;
    if (eq >= 0) {
      value = raw.slice(eq + 1);
      pos = t.end;
      if (value === '') {
        const v = readToken(rest, pos);
        if (v?.quoted && v.start === pos) {
          value = v.value;
          pos = v.end;
        }
      }
    } else {
      const v = readToken(rest, t.end);
      if (!v || (!v.quoted && DASH_FLAG.test(v.value) && v.value.length > 1)) {
        return { ok: false, name: 'generate', error: `The option --${name} needs a value.` };
      }
      value = v.value;
      pos = v.end;
    }
    value = value.trim();
    if (!value) return { ok: false, name: 'generate', error: `The option --${name} needs a value.` };
    if (opts[name as OptionName] !== undefined) {
      return { ok: false, name: 'generate', error: `The option --${name} was given twice.` };
    }
    opts[name as OptionName] = value;
  }
  const prompt = unwrapPrompt(rest.slice(pos).trim());
  return buildGenerate({ prompt, taskType: opts.type, priority: opts.priority, provider: opts.provider });
}

/**
 * Validates generate's parts. Shared with platforms whose commands arrive as structured options
 * (Discord application commands), so every platform gets the same rules and the same messages.
 */
export function buildGenerate(parts: {
  prompt?: string;
  taskType?: string;
  priority?: string;
  provider?: string;
}): ParseResult {
  const prompt = (parts.prompt ?? '').trim();
  if (!prompt)
    return { ok: false, name: 'generate', error: 'What should I generate? Add a prompt after the options.' };
  if (prompt.length > MAX_PROMPT_LENGTH) {
    return {
      ok: false,
      name: 'generate',
      error: `That prompt is too long (${prompt.length} characters; the limit is ${MAX_PROMPT_LENGTH}).`,
    };
  }
  const command: Extract<ChatCommand, { name: 'generate' }> = { name: 'generate', prompt };
  if (parts.taskType !== undefined) {
    const t = parts.taskType.trim().toLowerCase().replace(/-/g, '_');
    if (!/^[a-z][a-z0-9_]{0,39}$/.test(t)) {
      return {
        ok: false,
        name: 'generate',
        error: `"${parts.taskType}" is not a task type (for example article, summary, code).`,
      };
    }
    command.taskType = t;
  }
  if (parts.priority !== undefined) {
    const p = parts.priority.trim().toLowerCase();
    if (!(PRIORITIES as readonly string[]).includes(p)) {
      return {
        ok: false,
        name: 'generate',
        error: `"${parts.priority}" is not a priority. Use one of: ${PRIORITIES.join(', ')}.`,
      };
    }
    command.priority = p as Priority;
  }
  if (parts.provider !== undefined) {
    const name = parts.provider.trim();
    if (!name || name.length > 100)
      return { ok: false, name: 'generate', error: 'The provider name must be 1 to 100 characters.' };
    command.provider = name;
  }
  return { ok: true, command };
}

/** Builds a command that takes one reference argument, with the same checks as the text grammar. */
export function buildCommand(name: CommandName, arg?: string): ParseResult {
  const value = (arg ?? '').trim();
  switch (name) {
    case 'status':
    case 'cancel':
    case 'share': {
      const first = tokens(value)[0]?.value;
      if (!first) return { ok: false, name, error: `Which task? Usage: ${USAGE[name]}` };
      return { ok: true, command: { name, ref: first } };
    }
    case 'approve': {
      const first = tokens(value)[0]?.value;
      if (!first) return { ok: false, name, error: `Which content? Usage: ${USAGE[name]}` };
      return { ok: true, command: { name, ref: first } };
    }
    case 'comment': {
      const first = readToken(value, 0);
      if (!first) return { ok: false, name, error: `Which content? Usage: ${USAGE[name]}` };
      const text = value.slice(first.end).trim();
      if (!text) return { ok: false, name, error: `What is your comment? Usage: ${USAGE[name]}` };
      if (text.length > MAX_PROMPT_LENGTH)
        return { ok: false, name, error: `That comment is too long (the limit is ${MAX_PROMPT_LENGTH}).` };
      return { ok: true, command: { name, ref: first.value, text } };
    }
    case 'link': {
      const code = tokens(value)
        .map((t) => t.value)
        .join('');
      if (!code)
        return { ok: false, name, error: `Which code? Get one in the portal, then send: ${USAGE.link}` };
      return { ok: true, command: { name, code } };
    }
    case 'tasks':
    case 'providers':
    case 'help':
      return { ok: true, command: { name } };
    case 'generate':
      return parseGenerate(value);
  }
}

/** Resolves a typed command name (case-insensitive, with aliases and an optional leading slash). */
export function commandName(word: string): CommandName | undefined {
  const w = word.replace(/^\//, '').toLowerCase();
  if ((COMMAND_NAMES as readonly string[]).includes(w)) return w as CommandName;
  return ALIASES[w];
}

/** Parses one chat message (without the platform's slash-command prefix). */
export function parseCommand(input: string): ParseResult {
  const text = input.normalize('NFC').trim();
  const first = readToken(text, 0);
  if (!first) return { ok: true, command: { name: 'help' } };
  const name = commandName(first.value);
  if (!name) {
    const shown = first.value.length > 40 ? `${first.value.slice(0, 40)}…` : first.value;
    return { ok: false, error: `I don't know the command "${shown}".` };
  }
  return buildCommand(name, text.slice(first.end));
}
