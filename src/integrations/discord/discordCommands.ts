import { REST } from '@discordjs/rest';
import { ApplicationCommandOptionType, ApplicationCommandType, Routes } from 'discord-api-types/v10';
import { MAX_PROMPT_LENGTH } from '../../core/commands/grammar.js';
import { PRIORITIES } from '../../core/tasks/types.js';

/**
 * The application commands of API.md: /generate (prompt, type, priority, provider), /status and
 * /cancel (task), /tasks, /share (task), /comment (content, text), /approve (content), /link (code),
 * /providers, /help.
 */
export function discordCommandDefinitions(taskTypes: string[] = []) {
  const str = (name: string, description: string, required = false, extra: Record<string, unknown> = {}) => ({
    type: ApplicationCommandOptionType.String,
    name,
    description,
    required,
    ...extra,
  });
  const task = str('task', 'The task id (as shown in chat, e.g. ab12cd34)', true, { max_length: 36 });
  const content = str('content', 'The content id (as shown in chat or the portal)', true, { max_length: 36 });
  const cmd = (name: string, description: string, options: unknown[] = []) => ({
    type: ApplicationCommandType.ChatInput,
    name,
    description,
    options,
  });
  return [
    cmd('generate', 'Generate content with AI; the result is posted here', [
      str('prompt', 'What to generate', true, { max_length: Math.min(MAX_PROMPT_LENGTH, 6000) }),
      str(
        'type',
        'Task type (e.g. article, summary, code)',
        false,
        taskTypes.length ? { choices: taskTypes.slice(0, 25).map((t) => ({ name: t, value: t })) } : {},
      ),
      str('priority', 'Priority', false, { choices: PRIORITIES.map((p) => ({ name: p, value: p })) }),
      str('provider', 'Pick an AI provider by name (see /providers)', false, { max_length: 100 }),
    ]),
    cmd('status', 'Show where a task is', [task]),
    cmd('cancel', 'Stop a queued or running task', [task]),
    cmd('tasks', 'Your recent tasks'),
    cmd('share', 'A read-only link to a result', [task]),
    cmd('comment', 'Comment on a content item you can see', [
      content,
      str('text', 'Your comment', true, { max_length: Math.min(MAX_PROMPT_LENGTH, 6000) }),
    ]),
    cmd('approve', 'Approve a content item that waits for your review', [content]),
    cmd('link', 'Connect this Discord account to your Switchyard account', [
      str('code', 'The code from the portal (Linked accounts)', true, { max_length: 20 }),
    ]),
    cmd('providers', 'The AI providers you can pick'),
    cmd('help', 'How to use Switchyard'),
  ];
}

/** Registers (overwrites) the commands globally, or in one guild (instant, for testing). Returns how many. */
export async function registerDiscordCommands(opts: {
  apiUrl: string;
  applicationId: string;
  botToken: string;
  guildId?: string;
  taskTypes?: string[];
}): Promise<number> {
  const rest = new REST({ api: opts.apiUrl, version: '10', retries: 1, timeout: 15_000 }).setToken(
    opts.botToken,
  );
  const route = opts.guildId
    ? Routes.applicationGuildCommands(opts.applicationId, opts.guildId)
    : Routes.applicationCommands(opts.applicationId);
  const out = (await rest.put(route, { body: discordCommandDefinitions(opts.taskTypes) })) as unknown[];
  return Array.isArray(out) ? out.length : 0;
}
