import type { ChatButton, ChatReply } from '../../core/commands/reply.js';
import { splitText } from '../../core/commands/split.js';
import { type TaskView, taskMessages } from '../../core/commands/taskView.js';

/** Slack Block Kit rendering of replies and task views. Section text is limited to 3000 characters. */
export const SLACK_SECTION_LIMIT = 3000;
/** Split a little under the limit: escaping and link markup add characters. */
const SPLIT_AT = 2800;
/** Sections per message: well inside Slack's 50-block and message-size limits. */
const SECTIONS_PER_MESSAGE = 5;

export interface SlackMessage {
  text: string;
  blocks: Array<Record<string, unknown>>;
}

/** mrkdwn needs &, < and > escaped; this also keeps generated text from pinging <!channel>. */
export const escapeMrkdwn = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Escaped text with its http(s) URLs as explicit links; `verbatim` stops any other auto-parsing (no @here pings). */
const linkify = (escaped: string) => escaped.replace(/https?:\/\/[^\s&<>|]+/g, (u) => `<${u}>`);
const section = (text: string) => ({
  type: 'section',
  text: { type: 'mrkdwn', text: linkify(escapeMrkdwn(text)), verbatim: true },
});

/** Slack action_id per button; the task id travels in `value`. */
export const actionId = (b: Pick<ChatButton, 'action'>) => `sy_${b.action}`;

function actions(buttons: ChatButton[]) {
  return {
    type: 'actions',
    elements: buttons.map((b) => ({
      type: 'button',
      text: { type: 'plain_text', text: b.label, emoji: true },
      action_id: actionId(b),
      value: b.taskId,
      ...(b.action === 'cancel' || b.action === 'reject' || b.action === 'drop'
        ? { style: 'danger' }
        : b.action === 'approve' || b.action === 'run'
          ? { style: 'primary' }
          : {}),
    })),
  };
}

/** Sections for one piece of text; escaping can lengthen it, so an oversize piece is split again. */
function sections(text: string): Array<Record<string, unknown>> {
  const s = section(text);
  if (s.text.text.length <= SLACK_SECTION_LIMIT) return [s];
  return splitText(text, Math.max(64, Math.floor(text.length / 2))).flatMap(sections);
}

/** A short reply: one section (or a few), plus buttons. */
export function replyMessage(reply: ChatReply): SlackMessage {
  const blocks: Array<Record<string, unknown>> = splitText(reply.text, SPLIT_AT).flatMap(sections);
  if (reply.buttons?.length) blocks.push(actions(reply.buttons));
  return { text: reply.text.slice(0, 3000), blocks };
}

/**
 * A reply being edited while the answer streams: one section with the text so far (cut so that,
 * escaped, it stays within the section limit) and the view's buttons; `text` (notifications) is the headline.
 */
export function liveMessage(text: string, view: TaskView): SlackMessage {
  // The cursor or the [incomplete] marker stays at the end, whatever is cut before it.
  const tail = /(?:\n\n\[incomplete\]| ▍)$/.exec(text)?.[0] ?? '';
  let body = text.slice(0, text.length - tail.length);
  let s = section(body + tail);
  while (s.text.text.length > SLACK_SECTION_LIMIT) {
    body = `${body.slice(0, Math.max(0, body.length - (s.text.text.length - SLACK_SECTION_LIMIT) - 2))}…`;
    s = section(body + tail);
  }
  const blocks: Array<Record<string, unknown>> = [s];
  if (view.buttons.length) blocks.push(actions(view.buttons));
  return { text: view.headline.slice(0, 300), blocks };
}

/** A task view as Slack messages: sections of ≤ 3000 characters, grouped, buttons on the last one. */
export function viewMessages(view: TaskView): SlackMessage[] {
  const blocks = taskMessages(view, SPLIT_AT, { maxParts: 4 * SECTIONS_PER_MESSAGE }).flatMap(sections);
  const out: SlackMessage[] = [];
  for (let i = 0; i < blocks.length; i += SECTIONS_PER_MESSAGE) {
    out.push({ text: view.headline.slice(0, 300), blocks: blocks.slice(i, i + SECTIONS_PER_MESSAGE) });
  }
  if (view.buttons.length) out[out.length - 1]!.blocks.push(actions(view.buttons));
  return out;
}
