import { type CommandName, USAGE } from './grammar.js';

export type ChatPlatform = 'slack' | 'discord' | 'telegram';

/** How each platform's users type a command: Slack `/sy status …`, Discord and Telegram `/status …`. */
export const COMMAND_PREFIX: Record<ChatPlatform, string> = { slack: '/sy ', discord: '/', telegram: '/' };

const DESCRIPTIONS: Record<CommandName, string> = {
  generate: 'start a task; the result is posted here',
  status: 'show where a task is',
  tasks: 'your recent tasks',
  cancel: 'stop a queued or running task',
  share: 'a read-only link to a result',
  link: 'connect this chat account to your Switchyard account',
  providers: 'the AI providers you can pick with --provider',
  comment: 'comment on a content item (@username mentions notify)',
  approve: 'approve a content item you were asked to review',
  help: 'this message',
};

/** The help text, written the way this platform's users type commands. */
export function helpText(platform: ChatPlatform, portalUrl?: string): string {
  const p = COMMAND_PREFIX[platform];
  const lines = (Object.keys(USAGE) as CommandName[]).map((n) => `• ${p}${USAGE[n]} — ${DESCRIPTIONS[n]}`);
  const example =
    platform === 'slack'
      ? 'Example: /sy generate --type summary --priority high "Summarise our Q3 goals"  (or /generate …)'
      : `Example: ${p}generate --type summary --priority high Summarise our Q3 goals`;
  const link = portalUrl
    ? `\nTo link your account, open ${portalUrl}/links, get a code and send: ${p}link <code>`
    : '';
  return `Switchyard commands:\n${lines.join('\n')}\n${example}${link}`;
}

/** The usage line of one command, for a focused hint after a mistake. */
export function usageLine(platform: ChatPlatform, name: CommandName): string {
  return `Usage: ${COMMAND_PREFIX[platform]}${USAGE[name]}`;
}
