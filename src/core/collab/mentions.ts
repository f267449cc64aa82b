/** Usernames as the auth service accepts them: letters, digits, dot, dash, underscore. */
const MENTION = /(^|[^A-Za-z0-9_.@/-])@([A-Za-z0-9][A-Za-z0-9._-]{0,62})/g;

/**
 * The `@username` mentions in a markdown comment, lower-cased and without duplicates. Mentions in
 * code spans and fenced code blocks are not mentions; neither are e-mail addresses.
 */
export function extractMentions(markdown: string): string[] {
  const withoutCode = markdown.replace(/```[\s\S]*?```/g, ' ').replace(/`[^`\n]*`/g, ' ');
  const out = new Set<string>();
  for (const m of withoutCode.matchAll(MENTION)) {
    const name = m[2]!.replace(/[._-]+$/, '');
    if (name) out.add(name.toLowerCase());
  }
  return [...out];
}
