import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import express from 'express';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestId } from '../../src/api/middleware/requestId.js';
import { createLogger } from '../../src/logger.js';
import { registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';
import { waitFor } from '../helpers/wait.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return {
    logger: createLogger({ level: 'debug', json: true, stream }),
    lines: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('log lines carry request and task ids', () => {
  it('everything a request logs, after awaits on PostgreSQL and timers, carries its X-Request-Id', async () => {
    const { logger, lines } = capture();
    const pool = new pg.Pool({ connectionString: await createTestDatabase(), max: 2 });
    const app = express();
    app.use(requestId);
    app.get('/work', async (_req, res) => {
      logger.info('started');
      await pool.query('SELECT pg_sleep(0.05)');
      await new Promise((r) => setTimeout(r, 10));
      logger.child({ scope: 'deeper' }).warn('after the awaits', { taskId: 't-1' });
      res.json({ ok: true });
    });
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const [a, b] = await Promise.all([
        fetch(`${base}/work`, { headers: { 'x-request-id': 'req-aaa' } }),
        fetch(`${base}/work`),
      ]);
      const generated = b.headers.get('x-request-id');
      expect(a.headers.get('x-request-id')).toBe('req-aaa');
      logger.info('outside any request');
      const byId = (id: string | null) =>
        lines()
          .filter((l) => l.requestId === id)
          .map((l) => l.message);
      expect(byId('req-aaa')).toEqual(['started', 'after the awaits']);
      expect(byId(generated)).toEqual(['started', 'after the awaits']);
      expect(lines().find((l) => l.message === 'after the awaits')).toMatchObject({
        scope: 'deeper',
        taskId: 't-1',
      });
      expect(lines().find((l) => l.message === 'outside any request')?.requestId).toBeUndefined();
    } finally {
      server.close();
      await pool.end();
    }
  });
});

describe('in the running app', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  it("a task's log lines carry its taskId and the job's id; the worker's lines carry no request id", async () => {
    const u = await registerUser(app.url);
    const t = (
      await u.api.post(
        '/api/tasks',
        { description: 'log me', taskType: 'article' },
        { 'x-request-id': 'req-task-1' },
      )
    ).body;
    const line = await waitFor(async () => {
      const parsed = app.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
      return parsed.find((l) => l.message === 'Task completed' && l.taskId === t.id);
    }, 'the task to complete');
    const job = await u.api.get(`/api/tasks/${t.id}`);
    expect(job.body.status).toBe('completed');
    // `jobId` is not in the line's own fields: the run's log context adds it.
    expect(line.jobId).toEqual(expect.stringMatching(/^[0-9a-f-]{36}$/));
    expect(line.requestId).toBeUndefined();
  });
});
