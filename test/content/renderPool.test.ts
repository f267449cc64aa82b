import { afterAll, describe, expect, it } from 'vitest';
import { renderHere } from '../../src/core/content/renderer.js';
import { AppError } from '../../src/core/errors.js';
import { RenderPool } from '../../src/workers/renderPool.js';

/** The render pool on its own: real piscina worker threads running the worker entry from source. */
const pool = new RenderPool({ maxThreads: 1, maxQueue: 1 });
afterAll(async () => {
  await pool.close();
});

const docx = (title: string) =>
  ({ kind: 'export', source: { format: 'docx', title, contentData: '# Hi\n\nText', version: 1 } }) as const;

describe('RenderPool', () => {
  it('renders on a worker thread what the main thread would render', async () => {
    const input = {
      fromVersion: 1,
      toVersion: 2,
      fromText: 'line\n'.repeat(5_000),
      toText: `${'line\n'.repeat(4_000)}changed\n${'line\n'.repeat(999)}`,
      title: 'T',
    };
    const before = pool.stats().completed;
    const viaPool = await pool.render({ kind: 'diff', input });
    expect(viaPool).toEqual(await renderHere({ kind: 'diff', input }));
    expect(viaPool.additions).toBe(1);
    expect(pool.stats().completed).toBe(before + 1);
  });

  it('gives exports their Buffer back', async () => {
    const file = await pool.render({
      kind: 'export',
      source: { format: 'pdf', title: 'Notes', contentData: 'Some text', version: 3 },
    });
    expect(Buffer.isBuffer(file.body)).toBe(true);
    expect((file.body as Buffer).subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(file).toMatchObject({ contentType: 'application/pdf', filename: 'Notes-v3.pdf' });
  });

  it('keeps the code and message of a refusal made on the worker', async () => {
    const job = {
      kind: 'export',
      source: { format: 'rtf', title: 'T', contentData: 'x'.repeat(20_000), version: 1 },
    } as never;
    const err = await pool.render(job).catch((e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'validation_failed' });
    expect(err.message).toMatch(/^Unknown export format/);
  });

  it('refuses with 503 unavailable and a Retry-After when the queue is full', async () => {
    // Submitted in one tick: one job runs (or waits for the thread to start), one waits, the rest are refused.
    const outcomes = await Promise.all(
      ['a', 'b', 'c', 'd'].map((t) =>
        pool.render(docx(t)).then(
          () => 'done',
          (e: AppError) => e,
        ),
      ),
    );
    const refused = outcomes.filter((o): o is AppError => o instanceof AppError);
    expect(outcomes.filter((o) => o === 'done').length).toBeGreaterThanOrEqual(1);
    expect(refused.length).toBeGreaterThanOrEqual(2);
    for (const e of refused) {
      expect(e).toMatchObject({ code: 'unavailable' });
      expect(e.message).toContain('busy rendering');
      expect(e.retryAfter).toBeGreaterThanOrEqual(1);
      expect(e.retryAfter).toBeLessThanOrEqual(60);
    }
    expect(pool.stats().rejected).toBe(refused.length);
  });

  it('refuses a requester past their share with 429 rate_limited, and serves others', async () => {
    const shared = new RenderPool({ maxThreads: 1, maxQueue: 10, maxPerRequester: 2 });
    try {
      const outcomes = await Promise.all(
        [
          ['u1', 'a'],
          ['u1', 'b'],
          ['u1', 'c'],
          ['u2', 'd'],
        ].map(([who, t]) =>
          shared.render(docx(t!), who).then(
            () => 'done',
            (e: AppError) => e,
          ),
        ),
      );
      expect(outcomes.slice(0, 2)).toEqual(['done', 'done']);
      expect(outcomes[2]).toMatchObject({ code: 'rate_limited' });
      expect((outcomes[2] as AppError).retryAfter).toBeGreaterThanOrEqual(1);
      expect(outcomes[3]).toBe('done');
      expect(shared.stats().throttled).toBe(1);
      // Finished jobs free the requester's share.
      await expect(shared.render(docx('e'), 'u1')).resolves.toMatchObject({ filename: 'e-v1.docx' });
    } finally {
      await shared.close();
    }
  });

  it('runs small text jobs inline and never queues them', async () => {
    const before = pool.stats();
    const body = await pool.render({ kind: 'shareBody', title: 'T', markdown: '# T\n\nHello *there*' });
    expect(body).toEqual({ bodyHtml: '<h1>T</h1>\n<p>Hello <em>there</em></p>\n', omitTitleHeading: true });
    expect(pool.stats()).toMatchObject({ inline: before.inline + 1, completed: before.completed });
  });

  it('refuses new work once closed', async () => {
    const p = new RenderPool({ maxThreads: 1 });
    await p.close();
    await expect(p.render(docx('late'))).rejects.toMatchObject({ code: 'unavailable' });
  });
});
