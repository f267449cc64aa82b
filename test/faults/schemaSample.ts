import { randomUUID } from 'node:crypto';

/**
 * A compact generator of JSON values from the JSON Schemas of an OpenAPI 3.1 document (what
 * zod-to-openapi emits): `$ref`, `anyOf`/`oneOf`/`allOf`, `enum`/`const`, nullable type arrays,
 * string formats and bounds, numbers with bounds, arrays, objects with required and optional
 * properties. "Valid-shaped": it aims at values the schema accepts, not at proving it.
 */
export type Schema = Record<string, any>;

export function sampler(doc: { components?: { schemas?: Record<string, Schema> } }, random: () => number) {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));

  function deref(s: Schema | undefined): Schema {
    let out = s ?? {};
    for (let i = 0; i < 20 && typeof out.$ref === 'string'; i++) {
      const name = out.$ref.replace('#/components/schemas/', '');
      out = {
        ...(doc.components?.schemas?.[name] ?? {}),
        ...Object.fromEntries(Object.entries(out).filter(([k]) => k !== '$ref')),
      };
    }
    return out;
  }

  function typeOf(s: Schema): string | undefined {
    if (Array.isArray(s.type)) {
      const real = s.type.filter((t: string) => t !== 'null');
      return real.length ? pick(real) : 'null';
    }
    if (s.type) return s.type;
    if (s.properties) return 'object';
    if (s.items) return 'array';
    return undefined;
  }

  function str(s: Schema): string {
    switch (s.format) {
      case 'email':
        return `hostile${int(0, 1e6)}@example.com`;
      case 'uuid':
        return randomUUID();
      case 'date-time':
        return new Date(Date.now() + int(-86_400, 86_400) * 1000).toISOString();
      case 'date':
        return new Date().toISOString().slice(0, 10);
      case 'uri':
      case 'url':
        return `https://example.com/hook/${int(0, 1e6)}`;
    }
    const min = s.minLength ?? 1;
    const max = Math.max(min, Math.min(s.maxLength ?? 24, 24));
    const len = int(min, max);
    const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
    let out = '';
    for (let i = 0; i < len; i++) out += alphabet[int(0, alphabet.length - 1)];
    return out;
  }

  function sample(input: Schema | undefined, depth = 0): unknown {
    const s = deref(input);
    if ('const' in s) return s.const;
    if (Array.isArray(s.enum) && s.enum.length) return pick(s.enum);
    if (Array.isArray(s.anyOf) && s.anyOf.length) return sample(pick(s.anyOf), depth);
    if (Array.isArray(s.oneOf) && s.oneOf.length) return sample(pick(s.oneOf), depth);
    if (Array.isArray(s.allOf) && s.allOf.length) {
      const parts = s.allOf.map((p: Schema) => sample(p, depth));
      return parts.every((p: unknown) => p && typeof p === 'object' && !Array.isArray(p))
        ? Object.assign({}, ...parts)
        : parts[0];
    }
    switch (typeOf(s)) {
      case 'string':
        return str(s);
      case 'integer':
      case 'number': {
        const lo = Math.ceil(s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : 0));
        const hi = Math.floor(
          s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - 1 : lo + 100),
        );
        return int(lo, Math.max(lo, Math.min(hi, lo + 1000)));
      }
      case 'boolean':
        return random() < 0.5;
      case 'null':
        return null;
      case 'array': {
        if (depth > 4) return [];
        const n = int(s.minItems ?? 0, Math.max(s.minItems ?? 0, Math.min(s.maxItems ?? 3, 3)));
        return Array.from({ length: n }, () => sample(s.items, depth + 1));
      }
      case 'object': {
        const out: Record<string, unknown> = {};
        if (depth > 4) return out;
        const required = new Set<string>(s.required ?? []);
        for (const [k, v] of Object.entries<Schema>(s.properties ?? {})) {
          if (required.has(k) || random() < 0.6) out[k] = sample(v, depth + 1);
        }
        if (s.additionalProperties && typeof s.additionalProperties === 'object' && !s.properties) {
          out[`key${int(0, 99)}`] = sample(s.additionalProperties, depth + 1);
        }
        return out;
      }
      default:
        return pick(['text', 42, true, null, { a: 1 }]);
    }
  }

  /** A value of the wrong JSON type for `s` (a string where a number goes, an object for a string…). */
  function wrongType(input: Schema | undefined): unknown[] {
    const t = typeOf(deref(input));
    const all: Record<string, unknown> = {
      string: 'not-the-right-type',
      number: 123_456_789,
      boolean: true,
      object: { unexpected: { nested: true } },
      array: ['x', 1, null],
      null: null,
    };
    const skip = t === 'integer' ? 'number' : t;
    return Object.entries(all)
      .filter(([k]) => k !== skip)
      .map(([, v]) => v);
  }

  return { sample, wrongType, deref };
}
