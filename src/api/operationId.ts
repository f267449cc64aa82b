const pascal = (word: string) =>
  word
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');

/**
 * A stable operationId from the method and the full path: `GET /api/tasks/:id/routing` →
 * `getTasksByIdRouting`. The `/api` prefix is dropped; path parameters read `By<Name>`.
 */
export function operationIdFor(method: string, fullPath: string): string {
  const words = fullPath
    .split('/')
    .filter((s, i) => s && !(i === 1 && s === 'api'))
    .map((s) => (s.startsWith(':') ? `By${pascal(s.slice(1))}` : pascal(s)));
  return method.toLowerCase() + words.join('');
}
