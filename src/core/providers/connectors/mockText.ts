import { createHash } from 'node:crypto';

/**
 * Deterministic, task-type-shaped text for the built-in mock provider. Same task type + system +
 * prompt → same text, byte for byte (a seeded PRNG, no clock, no Math.random). The shapes are what
 * a reader, an exporter or a chat renderer expects from each task type:
 *
 * article → markdown with a title, sections and paragraphs; summary → bullets; code → one fenced
 * block; translation → a pseudo-localised rendering; social_post → ≤ 280 chars with hashtags;
 * research → Summary / Findings / Sources; anything else → plain paragraphs.
 */
export interface MockTextInput {
  taskType: string;
  prompt: string;
  system?: string;
}

export function mockText(input: MockTextInput): string {
  const rng = seeded(`${input.taskType}\u0000${input.system ?? ''}\u0000${input.prompt}`);
  const words = keywords(input.prompt);
  const g = new Gen(rng, words);
  switch (canonicalType(input.taskType)) {
    case 'article':
      return article(g);
    case 'summary':
      return summary(g);
    case 'code':
      return code(g, input.prompt);
    case 'translation':
      return translation(input.prompt);
    case 'social_post':
      return socialPost(g);
    case 'research':
      return research(g);
    default:
      return plain(g);
  }
}

/** A stable 32-bit seed from a string (first bytes of SHA-256). */
export function seedOf(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0);
}

/** A number in [0, 1) fixed by `text`: used for deterministic failure-rate decisions. */
export function unitOf(text: string): number {
  return seedOf(text) / 2 ** 32;
}

// ---------------------------------------------------------------------------------------------

const TYPE_ALIASES: Record<string, string> = {
  blog_post: 'article',
  blog: 'article',
  post: 'article',
  tldr: 'summary',
  snippet: 'code',
  translate: 'translation',
  tweet: 'social_post',
  social: 'social_post',
  report: 'research',
};

function canonicalType(t: string): string {
  const k = t.trim().toLowerCase();
  return TYPE_ALIASES[k] ?? k;
}

/** mulberry32: small, fast, good enough for picking templates. */
function seeded(text: string): () => number {
  let a = seedOf(text);
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STOPWORDS = new Set(
  (
    'a an the and or but if then than that this these those with without within into onto from for of on in at by to as is are was were be been ' +
    'being it its it’s about above after again against all also any because before below between both can could did do does doing down during each ' +
    'few further had has have having here how just more most must not now only other our out over own same should so some such there their them they ' +
    'through too under until very what when where which while who whom why will would you your yours please write create generate make give produce ' +
    'draft compose article articles summary summarize summarise summarized code function program script translate translation into post tweet ' +
    'social research report brief short long words paragraph paragraphs text using need want like help explain describe list provide based'
  ).split(/\s+/),
);

function keywords(prompt: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const m of prompt.toLowerCase().matchAll(/[\p{L}][\p{L}\p{N}'-]*/gu)) {
    const w = m[0].replace(/^[-']+|[-']+$/g, '');
    if (w.length < 3 || STOPWORDS.has(w) || seen.has(w)) continue;
    seen.add(w);
    out.push(w);
    if (out.length === 8) break;
  }
  return out;
}

const cap = (w: string) => (w ? w[0]!.toUpperCase() + w.slice(1) : w);

class Gen {
  readonly topic: string;
  /** Sentence templates still unused in this text: drawn without repeats until all were used. */
  private deck: string[] = [];
  constructor(
    readonly rng: () => number,
    readonly words: string[],
  ) {
    this.topic = words.length ? words.slice(0, 3).join(' ') : 'the topic';
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.rng() * items.length)]!;
  }
  word(): string {
    return this.words.length ? this.pick(this.words) : 'the topic';
  }
  fill(template: string): string {
    const used: string[] = [];
    const fresh = () => {
      let w = this.word();
      for (let i = 0; i < 4 && used.includes(w) && this.words.length > 1; i++) w = this.word();
      used.push(w);
      return w;
    };
    return template
      .replaceAll('{topic}', this.topic)
      .replaceAll('{Topic}', titleCase(this.topic))
      .replace(/\{w\}/g, fresh)
      .replace(/\{W\}/g, () => cap(fresh()));
  }
  sentence(): string {
    if (this.deck.length === 0) this.deck = distinct(this, SENTENCES, SENTENCES.length);
    return this.fill(this.deck.pop()!);
  }
  paragraph(n = 3 + Math.floor(this.rng() * 2)): string {
    return Array.from({ length: n }, () => this.sentence()).join(' ');
  }
}

function titleCase(s: string): string {
  return s
    .split(' ')
    .map((w) => cap(w))
    .join(' ');
}

const SENTENCES = [
  'Understanding {topic} starts with a clear picture of what {w} actually changes.',
  'Most teams underestimate how much {w} shapes the outcome.',
  'A practical approach to {topic} balances ambition with what can be measured.',
  'The strongest argument for {w} is that it compounds over time.',
  'Critics point out that {w} is easy to promise and harder to deliver.',
  'In practice, small experiments with {w} reveal more than long debates.',
  'The link between {w} and {w} is closer than it first appears.',
  'Good decisions about {topic} depend on honest data rather than intuition.',
  'Early adopters of {w} report faster feedback and fewer surprises.',
  'Every plan for {topic} should name its trade-offs explicitly.',
  'What looks like a problem with {w} is often a problem with expectations.',
  'The cost of ignoring {w} grows quietly until it becomes urgent.',
  'Clear ownership turns {topic} from an idea into a routine.',
  'The details of {w} matter less than the habit of revisiting them.',
  'A simple checklist keeps {w} from drifting out of focus.',
  'Over the next few years, {topic} will reward the patient more than the loud.',
];

const HEADINGS = [
  'Why {W} matters',
  'The basics of {topic}',
  '{W} in practice',
  'Common pitfalls',
  'Lessons from early adopters',
  'Measuring progress',
  'What comes next for {w}',
  'Trade-offs worth naming',
];

const TITLES = [
  'A Practical Guide to {Topic}',
  'Understanding {Topic}',
  'The Future of {Topic}',
  '{Topic}: What You Need to Know',
  'Getting {Topic} Right',
];

function article(g: Gen): string {
  const heads = distinct(g, HEADINGS, 3);
  const parts = [`# ${g.fill(g.pick(TITLES))}`, g.paragraph()];
  for (const h of heads) parts.push(`## ${g.fill(h)}`, g.paragraph());
  parts.push('## Conclusion', g.paragraph(2));
  return parts.join('\n\n');
}

function summary(g: Gen): string {
  const n = 4 + Math.floor(g.rng() * 3);
  const bullets = Array.from({ length: n }, () => `- ${g.sentence()}`);
  return [`**Summary of ${g.topic}**`, bullets.join('\n')].join('\n\n');
}

const LANGS: Array<[RegExp, string, string]> = [
  [/\b(python|py|django|flask)\b/i, 'python', 'Python'],
  [/\b(typescript|ts|deno)\b/i, 'typescript', 'TypeScript'],
  [/\b(javascript|js|node(\.js)?)\b/i, 'javascript', 'JavaScript'],
  [/\b(go|golang)\b/i, 'go', 'Go'],
  [/\brust\b/i, 'rust', 'Rust'],
  [/\bsql|postgres(ql)?\b/i, 'sql', 'SQL'],
  [/\b(bash|shell|sh)\b/i, 'bash', 'Bash'],
  [/\bjava\b/i, 'java', 'Java'],
];

function code(g: Gen, prompt: string): string {
  const [, lang, label] = LANGS.find(([re]) => re.test(prompt)) ?? [/x/, 'typescript', 'TypeScript'];
  const names = g.words.filter(
    (w) => !/^(python|typescript|javascript|golang|rust|sql|bash|java|node)$/.test(w),
  );
  const parts = (names.length ? names.slice(0, 3) : ['process', 'input']).map((w) =>
    w.replace(/[^\p{L}\p{N}]/gu, ''),
  );
  const camel = parts.map((w, i) => (i === 0 ? w : cap(w))).join('') || 'processInput';
  const snake = parts.join('_') || 'process_input';
  const purpose = `Handle ${g.topic}.`;
  const bodies: Record<string, string> = {
    python: `def ${snake}(items: list[str]) -> list[str]:\n    """${purpose}"""\n    cleaned = [item.strip() for item in items if item.strip()]\n    return sorted(set(cleaned))\n\n\nif __name__ == "__main__":\n    print(${snake}(["b", "a", " a "]))`,
    typescript: `/** ${purpose} */\nexport function ${camel}(items: string[]): string[] {\n  const cleaned = items.map((item) => item.trim()).filter(Boolean);\n  return [...new Set(cleaned)].sort();\n}\n\n// ${camel}(['b', 'a', ' a ']) returns ['a', 'b']`,
    javascript: `/** ${purpose} */\nexport function ${camel}(items) {\n  const cleaned = items.map((item) => item.trim()).filter(Boolean);\n  return [...new Set(cleaned)].sort();\n}\n\n// ${camel}(['b', 'a', ' a ']) returns ['a', 'b']`,
    go: `package main\n\nimport (\n\t"fmt"\n\t"sort"\n\t"strings"\n)\n\n// ${cap(camel)}: ${purpose}\nfunc ${cap(camel)}(items []string) []string {\n\tseen := map[string]bool{}\n\tout := []string{}\n\tfor _, item := range items {\n\t\tv := strings.TrimSpace(item)\n\t\tif v != "" && !seen[v] {\n\t\t\tseen[v] = true\n\t\t\tout = append(out, v)\n\t\t}\n\t}\n\tsort.Strings(out)\n\treturn out\n}\n\nfunc main() {\n\tfmt.Println(${cap(camel)}([]string{"b", "a", " a "}))\n}`,
    rust: `/// ${purpose}\nfn ${snake}(items: &[&str]) -> Vec<String> {\n    let mut out: Vec<String> = items.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();\n    out.sort();\n    out.dedup();\n    out\n}\n\nfn main() {\n    println!("{:?}", ${snake}(&["b", "a", " a "]));\n}`,
    sql: `-- ${purpose}\nSELECT DISTINCT TRIM(item) AS item\nFROM ${snake}\nWHERE TRIM(item) <> ''\nORDER BY item;`,
    bash: `#!/usr/bin/env bash\n# ${purpose}\nset -euo pipefail\n\n${snake}() {\n  sed 's/^ *//;s/ *$//' | grep -v '^$' | sort -u\n}\n\nprintf 'b\\na\\n a \\n' | ${snake}`,
    java: `import java.util.*;\n\n/** ${purpose} */\npublic class ${cap(camel)} {\n    static List<String> run(List<String> items) {\n        TreeSet<String> out = new TreeSet<>();\n        for (String item : items) if (!item.trim().isEmpty()) out.add(item.trim());\n        return new ArrayList<>(out);\n    }\n\n    public static void main(String[] args) {\n        System.out.println(run(List.of("b", "a", " a ")));\n    }\n}`,
  };
  return `Here is a ${label} implementation for ${g.topic}:\n\n\`\`\`${lang}\n${bodies[lang]}\n\`\`\``;
}

const TARGETS: Record<string, string> = {
  french: 'fr',
  spanish: 'es',
  german: 'de',
  italian: 'it',
  portuguese: 'pt',
  dutch: 'nl',
  polish: 'pl',
  ukrainian: 'uk',
  russian: 'ru',
  japanese: 'ja',
  chinese: 'zh',
  korean: 'ko',
  arabic: 'ar',
  english: 'en',
};

const ACCENTS: Record<string, string> = {
  a: 'à',
  e: 'é',
  i: 'î',
  o: 'ô',
  u: 'ü',
  A: 'À',
  E: 'É',
  I: 'Î',
  O: 'Ô',
  U: 'Ü',
};

function translation(prompt: string): string {
  const m = prompt.match(/\b(?:to|into|in)\s+([A-Za-z]+)\b/);
  const lang = m && TARGETS[m[1]!.toLowerCase()] ? m[1]!.toLowerCase() : 'french';
  // The text to translate: after a colon or inside quotes if there is one, otherwise the whole prompt.
  const quoted = prompt.match(/["“]([^"”]+)["”]/)?.[1];
  const afterColon = prompt.includes(':') ? prompt.slice(prompt.indexOf(':') + 1).trim() : '';
  const source = (quoted ?? afterColon) || prompt.trim();
  const rendered = source.replace(/[aeiouAEIOU]/g, (c) => ACCENTS[c] ?? c);
  return `**Translation (${cap(lang)}, mock):**\n\n[${TARGETS[lang]}] ${rendered}`;
}

function socialPost(g: Gen): string {
  const hook = g.pick(['Big news:', 'Quick thought:', 'Hot take:', 'Worth a read:', 'Today I learned:']);
  const tags = distinct(g, g.words.length ? g.words : ['ideas'], Math.min(3, Math.max(1, g.words.length)))
    .map((w) => `#${w.replace(/[^\p{L}\p{N}]/gu, '')}`)
    .join(' ');
  let body = `${hook} ${g.sentence()} ${g.pick(['What do you think?', 'Thoughts?', 'Share if it helps.', 'More soon.'])}`;
  const room = 280 - tags.length - 2;
  if (body.length > room) body = `${body.slice(0, room - 1).trimEnd()}…`;
  return `${body}\n\n${tags}`;
}

function research(g: Gen): string {
  const slug = g.topic.replace(/[^\p{L}\p{N}]+/gu, '-').toLowerCase();
  const findings = Array.from({ length: 3 }, (_, i) => `${i + 1}. ${g.sentence()} ${g.sentence()}`);
  const sources = Array.from(
    { length: 3 },
    (_, i) =>
      `- [${titleCase(g.topic)}, mock source ${i + 1}](https://example.org/mock/${slug}-${i + 1}) (placeholder, not a real reference)`,
  );
  return [
    `# Research brief: ${titleCase(g.topic)}`,
    '## Summary',
    g.paragraph(2),
    '## Findings',
    findings.join('\n'),
    '## Open questions',
    `- ${g.sentence()}\n- ${g.sentence()}`,
    '## Sources',
    sources.join('\n'),
  ].join('\n\n');
}

function plain(g: Gen): string {
  return [g.paragraph(), g.paragraph()].join('\n\n');
}

function distinct<T>(g: Gen, items: readonly T[], n: number): T[] {
  const pool = [...items];
  const out: T[] = [];
  while (out.length < n && pool.length) out.push(pool.splice(Math.floor(g.rng() * pool.length), 1)[0]!);
  return out;
}
