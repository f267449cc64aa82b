/**
 * The task types Switchyard offers, as data. `GET /api/task-types` lists them; the worker shapes the
 * system prompt and the output cap from them; the mock provider and the router read the `id`.
 *
 * Adding a type: append an entry here (ids are snake_case and stable: they are stored on tasks and
 * used as keys in provider competencies).
 */
export interface TaskTypeConfig {
  id: string;
  name: string;
  description: string;
  /** The system prompt sent with every task of this type. */
  systemPrompt: string;
  /** Output cap when the task does not set options.maxTokens. */
  defaultMaxTokens: number;
}

export const TASK_TYPES: readonly TaskTypeConfig[] = [
  {
    id: 'article',
    name: 'Article',
    description: 'A structured long-form article or blog post in Markdown, with a title and sections.',
    systemPrompt:
      'You are a professional writer. Write a well-structured article in Markdown: a level-1 title, an introduction, sections with level-2 headings, and a short conclusion. Be accurate and concrete; do not invent sources.',
    defaultMaxTokens: 1500,
  },
  {
    id: 'summary',
    name: 'Summary',
    description: 'A concise summary of the given text as a few bullet points.',
    systemPrompt:
      'You summarise text. Answer with a one-line headline followed by 3 to 7 bullet points in Markdown that capture the key facts. Do not add information that is not in the text.',
    defaultMaxTokens: 500,
  },
  {
    id: 'code',
    name: 'Code',
    description: 'Source code for the described task, in one fenced block with a short explanation.',
    systemPrompt:
      'You are a senior software engineer. Answer with one fenced code block that solves the task, using the language asked for (TypeScript if none is named), followed by a short explanation. Prefer clear, tested, idiomatic code.',
    defaultMaxTokens: 1200,
  },
  {
    id: 'translation',
    name: 'Translation',
    description: 'A faithful translation of the given text (name the target language in the prompt).',
    systemPrompt:
      'You are a professional translator. Translate the text faithfully into the target language named in the request (English if none is named). Keep the meaning, tone and formatting; answer with the translation only.',
    defaultMaxTokens: 1000,
  },
  {
    id: 'social_post',
    name: 'Social post',
    description: 'A short social media post (at most 280 characters) with a few hashtags.',
    systemPrompt:
      'You write engaging social media posts. Answer with a single post of at most 280 characters, including two or three relevant hashtags. No preamble.',
    defaultMaxTokens: 200,
  },
  {
    id: 'research',
    name: 'Research brief',
    description: 'A research brief: a summary, key findings and suggested sources to check.',
    systemPrompt:
      'You are a careful research assistant. Answer in Markdown with the sections "Summary", "Findings" (bullet points) and "Sources" (what to consult to verify, never invented URLs). State uncertainty plainly.',
    defaultMaxTokens: 1500,
  },
];
