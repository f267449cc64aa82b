import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_TYPES_FILE, renderApiTypes } from '../../scripts/apiTypes.js';
import { startTestApp, type TestApp } from '../helpers/app.js';

/**
 * The portal's API types (web/src/api/schema.d.ts) are generated from the OpenAPI document the server
 * serves. When a route's zod schema changes, the committed file must be regenerated with it.
 */
describe("the portal's generated API types", () => {
  let app: TestApp;
  let served: unknown;
  beforeAll(async () => {
    app = await startTestApp({ roles: ['api'] });
    served = await (await fetch(`${app.url}/api/openapi.json`)).json();
  });
  afterAll(() => app.close());

  it('match the served OpenAPI document', async () => {
    const expected = await renderApiTypes(served);
    const committed = readFileSync(path.resolve(import.meta.dirname, '../..', API_TYPES_FILE), 'utf8');
    if (committed !== expected) {
      const a = committed.split('\n');
      const b = expected.split('\n');
      const line = a.findIndex((l, i) => l !== b[i]);
      expect.fail(
        `${API_TYPES_FILE} is out of date with GET /api/openapi.json (first difference at line ${line + 1}:\n` +
          `  committed: ${a[line]?.trim() ?? '(end of file)'}\n  served:    ${b[line]?.trim() ?? '(end of file)'})\n` +
          'Run `npm run api:types` and commit the result.',
      );
    }
  });
});
