import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable } from '../../src/core/databaseErrors.js';
import { createLogger, describeError } from '../../src/logger.js';

/** The start of an ANSI escape sequence (colours). */
const ANSI = `${String.fromCharCode(27)}[`;

function capture(opts: { json?: boolean; color?: boolean } = {}) {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { logger: createLogger({ level: 'debug', stream, ...opts }), text: () => lines.join('') };
}

/** What pg-boss emits for a failed worker fetch: a spread of the pg error, not an Error instance. */
function pgBossStyleError() {
  const err = Object.assign(new Error('terminating connection due to administrator command'), {
    code: '57P01',
    severity: 'FATAL',
  });
  return { ...err, message: err.message, stack: err.stack, queue: 'generate', worker: 'w1' };
}

describe('logs', () => {
  it('an error-like object is logged with its message, code and stack, never [object Object]', () => {
    const pretty = capture();
    pretty.logger.error('pg-boss error', { err: describeError(pgBossStyleError()) });
    const text = pretty.text();
    expect(text).not.toContain('[object Object]');
    expect(text).toContain('terminating connection due to administrator command');
    expect(text).toContain('"code":"57P01"');
    expect(text).toContain('"queue":"generate"');
    expect(text).toMatch(/\n {4}Error: terminating connection[^\n]*\n\s+at /); // the stack, indented below the line

    const json = capture({ json: true });
    json.logger.error('pool error', {
      err: new AggregateError(
        [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })],
        '',
      ),
    });
    const line = JSON.parse(json.text());
    expect(line.err.message).toBe('connect ECONNREFUSED 127.0.0.1:1');
    expect(line.err.stack).toContain('AggregateError');
  });

  it('the pretty format writes no ANSI colour codes unless asked (output that is not a terminal)', () => {
    const plain = capture();
    plain.logger.warn('plain');
    plain.logger.error('plain too');
    expect(plain.text()).not.toContain(ANSI);
    const coloured = capture({ color: true });
    coloured.logger.warn('coloured');
    expect(coloured.text()).toContain(ANSI);
  });

  it('recognises a database that cannot be reached, and only that', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5'), { code: 'ECONNREFUSED' });
    for (const e of [
      refused,
      new AggregateError([refused], ''),
      Object.assign(new Error('x'), { code: '57P01', severity: 'FATAL' }),
      Object.assign(new Error('the database system is starting up'), { code: '57P03', severity: 'FATAL' }),
      Object.assign(new Error('x'), { code: '08006', severity: 'FATAL' }),
      new Error('Connection terminated unexpectedly'),
      new Error('Failed query: select 1', { cause: new Error('Connection terminated') }),
      new Error('timeout exceeded when trying to connect'),
    ])
      expect(isDatabaseUnavailable(e), String(e)).toBe(true);
    for (const e of [
      new Error('boom'),
      Object.assign(new Error('duplicate key'), { code: '23505', severity: 'ERROR' }),
      Object.assign(new Error('bad input'), { code: '22P02', severity: 'ERROR' }),
      null,
      'ECONNREFUSED',
    ])
      expect(isDatabaseUnavailable(e), String(e)).toBe(false);
  });
});
