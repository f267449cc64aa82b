import { countTokens, decode, encode } from 'gpt-tokenizer';

/**
 * Token estimates with gpt-tokenizer (o200k_base, the GPT-4o/GPT-5 encoding). Exact for current
 * OpenAI models, an estimate for Claude, Grok and others — close enough for budget reservations,
 * which are replaced by the provider's reported usage when the call settles.
 *
 * Text is treated as plain text: strings such as "<|endoftext|>" in a user's prompt are counted as
 * ordinary characters instead of throwing (the library's default).
 */
const PLAIN = { disallowedSpecial: new Set<string>() };

/** Framing tokens a chat API adds around each message, and once to prime the reply. */
export const TOKENS_PER_MESSAGE = 4;
export const TOKENS_REPLY_PRIMING = 3;

export function estimateTokens(text: string | undefined | null): number {
  if (!text) return 0;
  return countTokens(text, PLAIN);
}

/** Input tokens of a system + user prompt, including the chat framing. */
export function estimateInputTokens({ system, prompt }: { system?: string; prompt: string }): number {
  const messages = system ? 2 : 1;
  return (
    estimateTokens(system) + estimateTokens(prompt) + messages * TOKENS_PER_MESSAGE + TOKENS_REPLY_PRIMING
  );
}

/**
 * What a task can consume at most: the input estimate plus the output cap. This is the amount the
 * router reserves against an account's budget before calling the provider.
 */
export function estimateTaskTokens({
  system,
  prompt,
  maxTokens,
}: {
  system?: string;
  prompt: string;
  maxTokens: number;
}): number {
  return estimateInputTokens({ system, prompt }) + Math.max(0, Math.floor(maxTokens));
}

/** Cut `text` to at most `maxTokens` tokens. */
export function truncateToTokens(
  text: string,
  maxTokens: number,
): { text: string; tokens: number; truncated: boolean } {
  const tokens = encode(text, PLAIN);
  const max = Math.max(0, Math.floor(maxTokens));
  if (tokens.length <= max) return { text, tokens: tokens.length, truncated: false };
  // A cut inside a multi-byte character decodes to U+FFFD: drop it.
  return { text: decode(tokens.slice(0, max)).replace(/\uFFFD+$/, ''), tokens: max, truncated: true };
}
