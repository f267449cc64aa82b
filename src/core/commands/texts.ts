import type { ChatPlatform } from './help.js';
import { COMMAND_PREFIX } from './help.js';

/**
 * Every reply text the chat commands send, in one place (help and usage lines live in help.ts,
 * parse errors in grammar.ts). Tests compare these words: change them here, on purpose.
 */

const PLATFORM_NAME: Record<ChatPlatform, string> = {
  slack: 'Slack',
  discord: 'Discord',
  telegram: 'Telegram',
};

/** Who may run a command, how often, and replays of a delivery seen before. */
export const gateTexts = {
  rateLimited: (perMinute: number, retryAfterSeconds: number) =>
    `You’re sending commands faster than ${perMinute} a minute. Please wait ${retryAfterSeconds} s and try again.`,
  suspended: 'This Switchyard account is suspended, so I can’t run commands for it. Ask an administrator.',
  needLink: (platform: ChatPlatform, portal: string) =>
    `To use Switchyard here, link your account first: sign in at ${portal}/links, get a code, then send ${COMMAND_PREFIX[platform]}link <code>.`,
  alreadyOnIt: (shortTaskId: string) => `⏳ Already on it: task ${shortTaskId}.`,
  alreadyHandled: 'Already handled.',
  failed: 'Sorry, something went wrong on our side. Please try again in a moment.',
};

/** Finding one of the user's tasks by id or prefix. */
export const taskTexts = {
  notAmongYours: (shortTaskId: string) => `I can’t find task ${shortTaskId} among yours.`,
  notATaskId: (ref: string) =>
    `“${ref}” isn’t a task id. Task ids look like ab12cd34; see your tasks with the tasks command.`,
  ambiguous: (prefix: string) => `More than one of your tasks starts with ${prefix}; use more characters.`,
  notRecent: (prefix: string) => `I can’t find task ${prefix} among your recent tasks.`,
  notYourButton: 'I can’t find that task among yours (only the person who started it can use its buttons).',
};

export const generateTexts = {
  noProviderPicking: (portal: string) =>
    `Picking a provider from chat isn’t available here; leave out --provider, or pick one in the portal: ${portal}`,
  unknownProvider: (name: string, active: string[]) =>
    `I don’t know an active provider called “${name}”.${active.length ? ` Try one of: ${active.join(', ')}.` : ''}`,
  queued: (shortTaskId: string, taskType: string, priority: string) =>
    `⏳ Queued task ${shortTaskId} (${taskType}, ${priority} priority). I’ll post the result here.`,
  regenerating: (shortOriginalId: string, shortTaskId: string) =>
    `🔁 Regenerating task ${shortOriginalId} as task ${shortTaskId}. I’ll post the result here.`,
};

/** Estimate before running: the Run/Cancel question and its answers. */
export const confirmTexts = {
  askToRun: (range: { min: string; max: string }, tokens: string, threshold: string, minutes: number) =>
    `💰 Estimated cost ${range.min}–${range.max} (up to ${tokens} tokens). Run it?` +
    ` (Above your confirm threshold of ${threshold}; the buttons work for ${minutes} minutes.)`,
  inPortal: (portal: string) => `Run it from the portal: ${portal}`,
  gone: 'I can’t find that request any more.',
  notYours: (what: 'run' | 'cancel') =>
    `You’re not allowed to ${what} this request: only the person who asked for it can.`,
  wasCancelled: 'That request was cancelled; nothing to run.',
  expired: 'That request has expired; send the generate command again.',
  alreadyRunning: (shortTaskId: string) => `Already running it as task ${shortTaskId}.`,
  runningUseTaskCancel: (shortTaskId: string) =>
    `It is already running as task ${shortTaskId}; use that task’s Cancel button.`,
  alreadyCancelled: 'That request was already cancelled.',
  tooLate: 'Too late: Run was pressed first; use the task’s Cancel button.',
  dropped: '✖ Cancelled; nothing was run.',
};

/** Tasks held by an `approve` budget and the Approve/Reject buttons. */
export const approvalTexts = {
  held: (shortTaskId: string, why: string) =>
    `⏸️ Task ${shortTaskId} is waiting for approval: ${why} I’ll post the result here once it is approved.`,
  defaultWhy: 'it would exceed a budget.',
  inPortal: (portal: string) => `Approvals are decided in the portal: ${portal}`,
  approved: (shortTaskId: string) =>
    `✅ Task ${shortTaskId} approved; it is queued now. I’ll post the result here.`,
  rejected: (shortTaskId: string) => `⛔ Task ${shortTaskId} rejected; it will not run.`,
  notAllowed: (action: 'approve' | 'reject', shortTaskId: string) =>
    `You’re not allowed to ${action} task ${shortTaskId}: only the person who started it or an owner or admin of its team can.`,
  notWaiting: (action: 'approve' | 'reject', shortTaskId: string) =>
    `Task ${shortTaskId} is no longer waiting for approval; nothing to ${action}.`,
};

export const statusTexts = {
  header: (icon: string, shortTaskId: string, status: string) => `${icon} Task ${shortTaskId} — ${status}`,
  title: (title: string) => `“${title}”`,
  facts: (taskType: string, priority: string, source: string) =>
    `Type: ${taskType} · Priority: ${priority} · Started from ${source}`,
  error: (firstLine: string) => `Error: ${firstLine}`,
  link: (completed: boolean, url: string) => `${completed ? 'Result' : 'Details'}: ${url}`,
};

export const tasksTexts = {
  none: (platform: ChatPlatform) =>
    `You have no tasks yet. Try: ${COMMAND_PREFIX[platform]}generate Write a haiku about the sea`,
  line: (icon: string, shortTaskId: string, status: string, title: string) =>
    `${icon} ${shortTaskId}  ${status}  “${title}”`,
  list: (lines: string[], portal: string) =>
    `Your recent tasks:\n${lines.join('\n')}\nAll of them: ${portal}/`,
};

export const cancelTexts = {
  cancelled: (shortTaskId: string) => `🚫 Cancelled task ${shortTaskId}.`,
  nothingToCancel: (shortTaskId: string, wasCancelled: boolean) =>
    `Task ${shortTaskId} has already ${wasCancelled ? 'been cancelled' : 'finished'}; nothing to cancel.`,
};

export const shareTexts = {
  notCompleted: (shortTaskId: string, status: string) =>
    `Task ${shortTaskId} is ${status}; there is nothing to share until it completes.`,
  notFound: 'I can’t find that task or content among yours.',
  inPortal: (portal: string, contentId: string) =>
    `Open it in the portal to share it: ${portal}/content/${contentId}`,
  link: (until: string, url: string) => `🔗 Read-only link (valid until ${until} UTC): ${url}`,
};

/** `comment` and `approve` (content review). */
export const reviewTexts = {
  notAContentId: (ref: string) => `"${ref.slice(0, 40)}" is not a content id.`,
  commentInPortal: (portal: string, contentId: string) =>
    `Comment in the portal: ${portal}/content/${contentId}`,
  commented: (portal: string, contentId: string) => `💬 Comment added: ${portal}/content/${contentId}`,
  approveInPortal: (portal: string, contentId: string) =>
    `Approve it in the portal: ${portal}/content/${contentId}`,
  approved: (title: string, reviewState: string) =>
    `✅ Approved "${title}" (now ${reviewState.replace('_', ' ')}).`,
  contentNotFound: 'I can’t find that content among what you can read (is your account linked?).',
};

export const linkTexts = {
  alreadyLinked: (platform: ChatPlatform, username: string) =>
    `This ${PLATFORM_NAME[platform]} account is already linked to ${username}.`,
  linked: (platform: ChatPlatform, username: string, movedTasks: number) =>
    `🔗 Linked! This ${PLATFORM_NAME[platform]} account now works as ${username}: your tasks, budgets and history follow you across platforms.${
      movedTasks ? ` Your ${movedTasks} earlier task${movedTasks === 1 ? '' : 's'} moved with it.` : ''
    }`,
  expired: (portal: string) =>
    `That code has expired (codes last 10 minutes). Get a new code at ${portal}/links.`,
  used: (portal: string) => `That code has already been used. Get a new code at ${portal}/links.`,
  suspended: 'That account is suspended, so it can’t be linked.',
  invalid: (portal: string) =>
    `That isn’t a valid link code. Check it, or get a new code at ${portal}/links.`,
};

export const providerTexts = {
  inPortal: (portal: string) => `See the available providers in the portal: ${portal}/`,
  noneActive: 'No AI provider is active right now; an administrator needs to add or enable one.',
  line: (p: { name: string; kind: string; tier: string; strengths: string[] }) =>
    `• ${p.name} (${p.kind}${p.tier === 'secondary' ? ', fallback' : ''})${p.strengths.length ? ` — good at ${p.strengths.slice(0, 3).join(', ')}` : ''}`,
  list: (lines: string[], platform: ChatPlatform) =>
    `Active providers:\n${lines.join('\n')}\nPick one with: ${COMMAND_PREFIX[platform]}generate --provider NAME <prompt>`,
};
