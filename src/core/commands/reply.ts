/**
 * The platform-neutral reply model. Adapters render it: Slack Block Kit, Discord message
 * components, Telegram inline keyboards.
 */
/**
 * `run`/`drop` are Run/Cancel on a `generate` waiting for its cost to be confirmed; their id is the
 * pending request's, not a task's.
 */
export type ButtonAction = 'regenerate' | 'share' | 'cancel' | 'approve' | 'reject' | 'run' | 'drop';

export const BUTTON_ACTIONS: readonly ButtonAction[] = [
  'regenerate',
  'share',
  'cancel',
  'approve',
  'reject',
  'run',
  'drop',
];

export interface ChatButton {
  action: ButtonAction;
  taskId: string;
  label: string;
}

export interface ChatReply {
  text: string;
  buttons?: ChatButton[];
  /** Only the person who asked should see it (Slack ephemeral, Discord ephemeral flag). */
  private?: boolean;
  /** The task this reply is about, when a command created or touched one. */
  taskId?: string;
  /** True when this request created a new task whose progress and result will follow. */
  taskCreated?: boolean;
  /**
   * The new task waits for approval (an `approve` budget): the reply itself (with its Approve/Reject
   * buttons) must be shown now, not replaced by progress.
   */
  awaitingApproval?: boolean;
  /** True when this delivery had been seen before (nothing new was done). */
  duplicate?: boolean;
}

export const BUTTON_LABELS: Record<ButtonAction, string> = {
  regenerate: '🔁 Regenerate',
  share: '🔗 Share',
  cancel: '✖ Cancel',
  approve: '✅ Approve',
  reject: '⛔ Reject',
  run: '▶️ Run',
  drop: '✖ Cancel',
};

export const button = (action: ButtonAction, taskId: string): ChatButton => ({
  action,
  taskId,
  label: BUTTON_LABELS[action],
});

/** The compact id shown in chat; commands accept it (or any unique prefix) back. */
export const shortId = (id: string) => id.slice(0, 8);

/** Encodes a button for platforms that carry one opaque string (custom_id, callback_data ≤ 64 bytes). */
export function encodeButton(b: Pick<ChatButton, 'action' | 'taskId'>): string {
  return `sy:${b.action}:${b.taskId}`;
}

export function decodeButton(data: string): { action: ButtonAction; taskId: string } | null {
  const m = /^sy:(regenerate|share|cancel|approve|reject|run|drop):([0-9a-f-]{36})$/i.exec(data);
  return m ? { action: m[1] as ButtonAction, taskId: m[2]!.toLowerCase() } : null;
}
