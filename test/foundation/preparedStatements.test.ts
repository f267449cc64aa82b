import { sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { describe, expect, it } from 'vitest';
import type { IntakeFold, NewTask } from '../../src/core/tasks/ports.js';
import {
  foldedIntakeStatement,
  type IntakeParts,
  intakeStatement,
} from '../../src/models/intakeStatement.js';
import { toQuery } from '../../src/models/preparedStatements.js';
import { tasks } from '../../src/models/schema.js';
import { rawColumns } from '../../src/models/taskStore.js';

/** The hot paths write their SQL with toQuery instead of drizzle's builder: both must agree. */
const drizzle = new PgDialect();
/** Text and parameters (drizzle also lists typings, which node-postgres does not take). */
const same = (q: Parameters<typeof toQuery>[0]) => {
  const { sql: text, params } = drizzle.sqlToQuery(q);
  expect(toQuery(q)).toEqual({ sql: text, params });
};

const task: NewTask = {
  id: '7d0f0d9e-54a6-4a53-9d59-2f5f3c7c1f11',
  userId: '0b8e3f0e-7a36-4d43-9b7e-0c1e6a2b9a01',
  teamId: null,
  title: "Bob's summary",
  description: 'Summarise $1 and $2 — it’s a test',
  taskType: 'summary',
  priority: 'high',
  source: 'slack',
  providerId: null,
  options: { maxTokens: 200 },
  callbackUrl: null,
  webhookId: null,
  origin: { platform: 'slack', teamId: 'T1' },
  regenerateContentId: null,
  jobId: 'c7a0b1f4-1d55-4a8e-8f55-5b1f7e4b1a22',
};
const job = {
  insert:
    'INSERT INTO pgboss.job (id, data) SELECT id, data FROM json_to_recordset($1::text::json) AS x (id uuid, data jsonb) RETURNING id',
  payload: '[{"id":"c7a0b1f4-1d55-4a8e-8f55-5b1f7e4b1a22","data":{"taskId":"x"}}]',
  wake: "pg_notify('pgboss_x', 'generate')",
};
const scopes = {
  taskId: task.id as string,
  userId: task.userId,
  teamId: null,
  webhookId: null,
  apiTokenId: null,
  chatWorkspace: { platform: 'slack', externalId: 'T1' },
};

describe('toQuery writes what drizzle writes', () => {
  it('for every shape of the intake statements', () => {
    const dedupes = [
      undefined,
      { source: 'slack', deliveryId: 'd1' },
      { source: 'hook', deliveryId: 'd2', windowSeconds: 60 },
    ];
    const audits = [undefined, { actorId: task.userId, action: 'task.create', ip: null, details: { a: 1 } }];
    const folds: IntakeFold[] = [
      { job },
      { job: { ...job, wake: null }, reserve: { scopes, micros: 1234, tokens: 56 } },
    ];
    for (const dedupe of dedupes)
      for (const audit of audits) {
        const parts: IntakeParts = { id: task.id as string, task, dedupe, audit, columns: rawColumns };
        same(intakeStatement(parts));
        same(intakeStatement(parts, folds[1]?.reserve));
        for (const fold of folds) same(foldedIntakeStatement(parts, fold));
      }
  });

  it('for text, nested and joined fragments, raw text and plain values', () => {
    same(sql`SELECT ${1}, ${'a'}, ${null}, ${true}, ${10n}, ${undefined} ${sql.raw('FROM x')}`);
    same(sql`WITH ${sql.join([sql`a AS (SELECT ${2})`, sql`b AS (SELECT ${3})`], sql`, `)} SELECT ${sql``}`);
  });

  it('and leaves to drizzle what only drizzle writes (columns, tables, arrays, dates, inlined params)', () => {
    same(sql`SELECT ${tasks.id} FROM ${tasks} WHERE ${tasks.userId} = ${'u'}`);
    same(sql`SELECT * FROM t WHERE id IN ${[1, 2, 3]} AND at < ${new Date(0)}`);
    same(sql`SELECT ${sql`${'x'}`.inlineParams()}, ${4}`);
  });
});
