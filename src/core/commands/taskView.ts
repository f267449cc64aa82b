import type { TaskEvent, TaskEventKind, TaskRecord } from '../tasks/types.js';
import { button, type ChatButton, shortId } from './reply.js';
import { splitText } from './split.js';

/**
 * What a chat shows for one task event (progress, result, failure), before any platform
 * formatting. Adapters turn it into messages with `taskMessages` (or their own blocks).
 */
export interface TaskView {
  kind: TaskEventKind;
  /** One line saying what happened. */
  headline: string;
  /** The generated text (completed only). */
  body?: string;
  /** Where the whole result (or the task) can be read in the portal. */
  portalUrl: string;
  buttons: ChatButton[];
  /** Completed, failed or cancelled: nothing further will follow. */
  final: boolean;
}

/** Progress order: a later event never overwrites a message that already shows a later state. */
export const EVENT_RANK: Record<TaskEventKind, number> = {
  queued: 1,
  running: 2,
  completed: 3,
  failed: 3,
  cancelled: 3,
};

const quoteTitle = (t: TaskRecord) => {
  const title = (t.title || t.description).replace(/\s+/g, ' ').trim();
  return `“${title.length > 80 ? `${title.slice(0, 79)}…` : title}”`;
};

/** A failure in plain words: no stack traces, codes or URLs with secrets; short. */
export function plainFailure(error: string | null): string {
  if (!error) return 'something went wrong while generating.';
  const firstLine = error.split('\n')[0]!.trim();
  const cleaned = firstLine.replace(/https?:\/\/\S+/g, '[link]').replace(/\s+/g, ' ');
  const short = cleaned.length > 300 ? `${cleaned.slice(0, 299)}…` : cleaned;
  return /[.!?]$/.test(short) ? short : `${short}.`;
}

export function portalUrlFor(
  publicUrl: string,
  task: Pick<TaskRecord, 'id' | 'contentId'>,
  contentId?: string,
): string {
  const cid = contentId ?? task.contentId;
  return cid ? `${publicUrl}/content/${cid}` : `${publicUrl}/tasks/${task.id}`;
}

export function viewTaskEvent(event: TaskEvent, publicUrl: string): TaskView {
  const t = event.task;
  const id = shortId(t.id);
  const portalUrl = portalUrlFor(publicUrl, t, event.content?.id);
  switch (event.kind) {
    case 'queued':
      return {
        kind: 'queued',
        headline: `⏳ Task ${id} is queued: ${quoteTitle(t)}`,
        portalUrl,
        buttons: [button('cancel', t.id)],
        final: false,
      };
    case 'running':
      return {
        kind: 'running',
        headline: `⚙️ Task ${id} is running${event.providerName ? ` on ${event.providerName}` : ''}…`,
        portalUrl,
        buttons: [button('cancel', t.id)],
        final: false,
      };
    case 'completed':
      return {
        kind: 'completed',
        headline: `✅ Done: ${event.content?.title ? `“${event.content.title}”` : quoteTitle(t)} (task ${id})`,
        body: event.content?.contentData ?? '',
        portalUrl,
        buttons: [button('regenerate', t.id), button('share', t.id)],
        final: true,
      };
    case 'failed':
      return {
        kind: 'failed',
        headline: `❌ Task ${id} failed: ${plainFailure(t.error)} Try again with Regenerate.`,
        portalUrl,
        buttons: [button('regenerate', t.id)],
        final: true,
      };
    case 'cancelled':
      return {
        kind: 'cancelled',
        headline: `🚫 Task ${id} was cancelled.`,
        portalUrl,
        buttons: [button('regenerate', t.id)],
        final: true,
      };
  }
}

/**
 * The view as plain-text messages of at most `limit` characters each: the headline, the body split
 * on paragraph boundaries, and a portal link to the full content. Past `maxParts` messages the
 * rest is left to the portal (the link says so).
 */
export function taskMessages(view: TaskView, limit: number, opts: { maxParts?: number } = {}): string[] {
  const maxParts = opts.maxParts ?? 6;
  const full = view.body ? `${view.headline}\n\n${view.body}` : view.headline;
  let parts = splitText(full, limit);
  let footer =
    view.kind === 'completed'
      ? `Full result: ${view.portalUrl}`
      : view.final
        ? `Details: ${view.portalUrl}`
        : '';
  if (parts.length > maxParts) {
    parts = parts.slice(0, maxParts);
    footer = `… the rest is in the portal: ${view.portalUrl}`;
  }
  if (footer) {
    const last = parts[parts.length - 1]!;
    if (last.length + 2 + footer.length <= limit) parts[parts.length - 1] = `${last}\n\n${footer}`;
    else parts.push(footer.slice(0, limit));
  }
  return parts;
}
