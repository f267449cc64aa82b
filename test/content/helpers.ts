import { expect } from 'vitest';
import type { client } from '../helpers/app.js';
import { waitForStatus } from '../tasks/helpers.js';

type Api = ReturnType<typeof client>;

export const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

/**
 * Content the real way: submits a task through the API, lets the worker run it on the mock
 * provider, and returns the completed task and its content (GET /api/content/:id).
 */
export async function createContent(
  api: Api,
  description = 'Write about tide pools',
  taskType = 'article',
): Promise<{ taskId: string; contentId: string; content: any }> {
  const created = await api.post('/api/tasks', { description, taskType });
  expect(created.status, created.text).toBe(201);
  const done = await waitForStatus(api, created.body.id, ['completed', 'failed', 'cancelled']);
  expect(done.status, JSON.stringify(done)).toBe('completed');
  const c = await api.get(`/api/content/${done.contentId}`);
  expect(c.status, c.text).toBe(200);
  return { taskId: done.id, contentId: done.contentId, content: c.body };
}

/** Content whose current body is exactly `body` (an edit of a generated item). */
export async function contentWithBody(api: Api, body: string, title?: string) {
  const { contentId } = await createContent(api);
  const r = await api.put(`/api/content/${contentId}`, { contentData: body, ...(title ? { title } : {}) });
  expect(r.status, r.text).toBe(200);
  return { contentId, content: r.body };
}

/** Asserts the error shape of API.md: status, code, a message, and no stack or SQL. */
export function expectError(r: { status: number; body: any; text?: string }, status: number, code: string) {
  expect(r.status, r.text ?? JSON.stringify(r.body)).toBe(status);
  expect(r.body).toEqual({ error: expect.objectContaining({ code, message: expect.any(String) }) });
  expect(JSON.stringify(r.body)).not.toMatch(/at .*\.(ts|js):\d+|SELECT |INSERT |UPDATE |node_modules/);
}
