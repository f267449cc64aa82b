import { allowedModels } from '../providers/providerService.js';
import type { RoutingTarget } from '../routing/ports.js';

/**
 * What a model name asks for:
 * - `switchyard/auto`: routed by the router over every provider, as a task of AUTO_TASK_TYPE;
 * - `switchyard/<taskType>`: routed as a task of that type (competencies decide);
 * - `<providerName>/<model>`: that provider only (pinned), that model (it must be on its allow-list);
 * - `<model>` (`gpt-4o-mini`): the providers that offer that model, routed among themselves.
 * Null: no such model (404 model_not_found).
 */
export const AUTO_TASK_TYPE = 'article';
export const SWITCHYARD_PREFIX = 'switchyard/';

export interface ModelChoice {
  taskType: string;
  /** Only these providers may serve (null: any). Competency is not required of them: the caller chose. */
  providerIds: Set<string> | null;
  /** The model to ask for, or null for each provider's default. */
  model: string | null;
}

export function resolveModel(
  name: string,
  targets: RoutingTarget[],
  taskTypes: readonly string[],
  capable: (t: RoutingTarget) => boolean = () => true,
): ModelChoice | null {
  if (name === `${SWITCHYARD_PREFIX}auto`)
    return { taskType: AUTO_TASK_TYPE, providerIds: null, model: null };
  if (name.startsWith(SWITCHYARD_PREFIX)) {
    const type = name.slice(SWITCHYARD_PREFIX.length);
    return taskTypes.includes(type) ? { taskType: type, providerIds: null, model: null } : null;
  }
  const active = targets.filter((t) => t.status === 'active' && capable(t));
  // A provider name may itself hold a slash: the longest matching name wins.
  const pinned = active
    .filter((t) => name.startsWith(`${t.name}/`))
    .sort((a, b) => b.name.length - a.name.length)[0];
  if (pinned) {
    const model = name.slice(pinned.name.length + 1);
    return offers(pinned, model)
      ? { taskType: AUTO_TASK_TYPE, providerIds: new Set([pinned.id]), model }
      : null;
  }
  const serving = active.filter((t) => offers(t, name));
  return serving.length
    ? { taskType: AUTO_TASK_TYPE, providerIds: new Set(serving.map((t) => t.id)), model: name }
    : null;
}

/** The allow-list (models + default) decides; an OpenAI-compatible server with no list serves any name. */
function offers(t: RoutingTarget, model: string): boolean {
  if (!model) return false;
  const list = allowedModels(t);
  return list.includes(model) || (list.length === 0 && t.kind === 'openai_compatible');
}

/** GET /v1/models: the routed names, then every `<provider>/<model>` and bare model the caller may use. */
export function listModels(
  targets: RoutingTarget[],
  taskTypes: readonly string[],
  capable: (t: RoutingTarget) => boolean,
): Array<{ id: string; owned_by: string }> {
  const out = new Map<string, string>();
  out.set(`${SWITCHYARD_PREFIX}auto`, 'switchyard');
  for (const t of taskTypes) out.set(`${SWITCHYARD_PREFIX}${t}`, 'switchyard');
  for (const t of targets) {
    if (t.status !== 'active' || !capable(t)) continue;
    for (const m of allowedModels(t)) {
      out.set(`${t.name}/${m}`, t.name);
      if (!out.has(m)) out.set(m, t.name);
    }
  }
  return [...out].map(([id, owned_by]) => ({ id, owned_by }));
}
