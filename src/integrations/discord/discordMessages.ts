import { type ChatButton, encodeButton } from '../../core/commands/reply.js';

/** Discord message limits and rendering: 2,000 characters of content, buttons as message components. */
export const DISCORD_CONTENT_LIMIT = 2000;

/** Never let generated text ping @everyone, roles or users. */
export const NO_MENTIONS = { parse: [] as string[] };

const STYLE = { regenerate: 1, share: 2, cancel: 4, approve: 3, reject: 4, run: 3, drop: 4 } as const; // primary, secondary, danger, success

export function components(buttons: ChatButton[] | undefined): Array<Record<string, unknown>> {
  if (!buttons?.length) return [];
  return [
    {
      type: 1,
      components: buttons.map((b) => ({
        type: 2,
        style: STYLE[b.action],
        label: b.label,
        custom_id: encodeButton(b),
      })),
    },
  ];
}

export function clip(text: string): string {
  return text.length <= DISCORD_CONTENT_LIMIT ? text : `${text.slice(0, DISCORD_CONTENT_LIMIT - 1)}…`;
}
