import Handlebars from 'handlebars';
import { AppError } from '../errors.js';

/**
 * Prompt templates for inbound hooks: Handlebars with output escaping off (prompts are text, not
 * HTML), prototype access off, no partials, no decorators and only the harmless built-in helpers
 * (if, unless, each, with, lookup; `log` is removed). Bodies come from other tools and are never
 * themselves compiled.
 *
 * Missing fields: a plain `{{a.b}}` outside any block that the body does not have is reported, all
 * at once, as `validation_failed` (400) with one `details` entry per missing field; inside blocks
 * Handlebars' strict mode catches the first one. Fields used only as helper arguments (e.g.
 * `{{#if ticket.labels}}`) are optional.
 */
const hb = Handlebars.create();
hb.unregisterHelper('log');

const COMPILE_OPTIONS = {
  noEscape: true,
  strict: true,
  knownHelpersOnly: true,
  knownHelpers: { log: false },
} as const;

const RUNTIME_OPTIONS = {
  allowProtoPropertiesByDefault: false,
  allowProtoMethodsByDefault: false,
  allowCallsToHelperMissing: false,
} as const;

export const MAX_TEMPLATE_LENGTH = 20_000;
export const MAX_PROMPT_LENGTH = 100_000;

type Node = { type: string; [k: string]: unknown };

/** Every node of the template's AST (depth-first), with whether it sits inside a block. */
function walk(node: Node, visit: (n: Node, inBlock: boolean) => void, inBlock = false): void {
  visit(node, inBlock);
  const children: Node[] = [];
  if (node.type === 'Program') children.push(...((node.body as Node[]) ?? []));
  if (
    node.type === 'BlockStatement' ||
    node.type === 'PartialBlockStatement' ||
    node.type === 'DecoratorBlock'
  ) {
    if (node.program) children.push(node.program as Node);
    if (node.inverse) children.push(node.inverse as Node);
  }
  const nested = inBlock || node.type === 'BlockStatement';
  for (const c of children) walk(c, visit, nested);
}

/** Checks a template when a hook is created; throws validation_failed with a readable reason. */
export function validateTemplate(template: string): void {
  const fail = (message: string) =>
    new AppError('validation_failed', 'Invalid promptTemplate', {
      details: [{ field: 'body.promptTemplate', message, code: 'invalid_template' }],
    });
  if (template.length > MAX_TEMPLATE_LENGTH) throw fail(`at most ${MAX_TEMPLATE_LENGTH} characters`);
  let ast: Node;
  try {
    ast = hb.parse(template) as unknown as Node;
  } catch (e) {
    throw fail(`does not parse: ${(e as Error).message.split('\n')[0]}`);
  }
  walk(ast, (n) => {
    if (n.type === 'PartialStatement' || n.type === 'PartialBlockStatement')
      throw fail('partials ({{> …}}) are not allowed');
    if (n.type === 'DecoratorBlock' || n.type === 'Decorator')
      throw fail('decorators ({{* …}}) are not allowed');
  });
  try {
    hb.precompile(template, COMPILE_OPTIONS);
  } catch (e) {
    throw fail((e as Error).message.split('\n')[0] ?? 'does not compile');
  }
}

function has(value: unknown, path: string[]): boolean {
  let cur: unknown = value;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, key)) return false;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur !== undefined;
}

/** The plain top-level `{{a.b}}` paths of a template (outside blocks, not helper calls). */
export function requiredFields(template: string): string[] {
  const out = new Set<string>();
  walk(hb.parse(template) as unknown as Node, (n, inBlock) => {
    if (inBlock || n.type !== 'MustacheStatement') return;
    const path = n.path as Node & { original?: string; parts?: string[]; data?: boolean; depth?: number };
    const params = (n.params as unknown[]) ?? [];
    if (path.type !== 'PathExpression' || params.length || n.hash || path.data || path.depth) return;
    if (!path.parts?.length) return; // {{this}} / {{.}}
    out.add(path.parts.join('.'));
  });
  return [...out];
}

export type RenderResult = { ok: true; text: string } | { ok: false; missing: string[] };

const compiled = new Map<string, HandlebarsTemplateDelegate>();
function compile(template: string): HandlebarsTemplateDelegate {
  let fn = compiled.get(template);
  if (!fn) {
    fn = hb.compile(template, COMPILE_OPTIONS);
    if (compiled.size > 500) compiled.clear();
    compiled.set(template, fn);
  }
  return fn;
}

/** Renders a hook's template against a delivery's JSON body. */
export function renderTemplate(template: string, body: unknown): RenderResult {
  const missing = requiredFields(template).filter((f) => !has(body, f.split('.')));
  if (missing.length) return { ok: false, missing };
  try {
    return { ok: true, text: compile(template)(body, RUNTIME_OPTIONS) };
  } catch (e) {
    const m = /^"([^"]+)" not defined in/.exec((e as Error).message);
    if (m) return { ok: false, missing: [m[1]!] };
    throw new AppError('validation_failed', 'The prompt template could not be rendered with this body', {
      details: [{ field: 'body', message: (e as Error).message.split('\n')[0], code: 'template_error' }],
    });
  }
}

/** Renders or throws validation_failed listing every missing field. */
export function renderOrThrow(template: string, body: unknown): string {
  const r = renderTemplate(template, body);
  if (!r.ok) {
    throw new AppError(
      'validation_failed',
      `The body is missing fields the prompt template uses: ${r.missing.join(', ')}`,
      {
        details: r.missing.map((f) => ({
          field: `body.${f}`,
          message: 'missing from the request body',
          code: 'missing_field',
        })),
      },
    );
  }
  const text = r.text.trim();
  if (!text) throw new AppError('validation_failed', 'The rendered prompt is empty');
  if (text.length > MAX_PROMPT_LENGTH)
    throw new AppError(
      'validation_failed',
      `The rendered prompt is longer than ${MAX_PROMPT_LENGTH} characters`,
    );
  return text;
}
