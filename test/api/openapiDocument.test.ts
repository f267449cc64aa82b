import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

describe('the served OpenAPI document', () => {
  let app: TestApp;
  let doc: any;
  beforeAll(async () => {
    app = await startTestApp({ roles: ['api'] });
    doc = await (await fetch(`${app.url}/api/openapi.json`)).json();
  });
  afterAll(() => app.close());

  const operations = () =>
    Object.entries<any>(doc.paths).flatMap(([path, item]) =>
      METHODS.filter((m) => item[m]).map((m) => ({ path, method: m, op: item[m] })),
    );

  it('gives every operation a unique operationId', () => {
    const ops = operations();
    expect(ops.length).toBeGreaterThan(40);
    const missing = ops.filter((o) => !o.op.operationId).map((o) => `${o.method} ${o.path}`);
    expect(missing).toEqual([]);
    const ids = ops.map((o) => o.op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    const routing = doc.paths['/api/tasks/{id}/routing'].get.operationId;
    expect(routing).toBe('getTasksByIdRouting');
  });

  it('tags every operation with a tag declared at the top level, and names a contact', () => {
    const declared = new Set((doc.tags ?? []).map((t: any) => t.name));
    const untagged = operations()
      .filter((o) => !o.op.tags?.length || o.op.tags.some((t: string) => !declared.has(t)))
      .map((o) => `${o.method} ${o.path}`);
    expect(untagged).toEqual([]);
    expect(doc.info.contact?.name).toBeTruthy();
  });

  it('describes every tag in words, not by repeating its name', () => {
    const bare = (doc.tags ?? []).filter((t: any) => !t.description || t.description === t.name);
    expect(bare.map((t: any) => t.name)).toEqual([]);
  });

  it('emits regular-expression patterns without JavaScript flags', () => {
    const text = JSON.stringify(doc);
    const patterns = [...text.matchAll(/"pattern":"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!);
    expect(patterns.length).toBeGreaterThan(0);
    for (const p of patterns) expect(p.endsWith('/u')).toBe(false);
  });
});
