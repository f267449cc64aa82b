import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/core/errors.js';
import { renderOrThrow, renderTemplate, validateTemplate } from '../../src/core/webhooks/template.js';

const T = 'Summarize this ticket: {{ticket.title}} — {{ticket.body}}';

describe('prompt templates', () => {
  it('fills fields from the JSON body without HTML escaping', () => {
    expect(
      renderOrThrow(T, { ticket: { title: 'Login <broken>', body: 'Users & admins "cannot" sign in' } }),
    ).toBe('Summarize this ticket: Login <broken> — Users & admins "cannot" sign in');
  });

  it('lists every missing field at once', () => {
    expect(renderTemplate(T, { ticket: {} })).toEqual({
      ok: false,
      missing: ['ticket.title', 'ticket.body'],
    });
    expect(renderTemplate(T, {})).toEqual({ ok: false, missing: ['ticket.title', 'ticket.body'] });
    expect(renderTemplate(T, [1, 2])).toEqual({ ok: false, missing: ['ticket.title', 'ticket.body'] });
    try {
      renderOrThrow(T, { ticket: { title: 'x' } });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(AppError);
      expect((e as AppError).code).toBe('validation_failed');
      expect((e as AppError).details).toEqual([
        { field: 'body.ticket.body', message: 'missing from the request body', code: 'missing_field' },
      ]);
    }
  });

  it('treats fields used only in conditions as optional, and reports one missing inside a block', () => {
    const t = '{{title}}{{#if labels}} [{{#each labels}}{{name}},{{/each}}]{{/if}}';
    expect(renderOrThrow(t, { title: 'A' })).toBe('A');
    expect(renderOrThrow(t, { title: 'A', labels: [{ name: 'bug' }] })).toBe('A [bug,]');
    expect(renderTemplate(t, { title: 'A', labels: [{ nom: 'bug' }] })).toEqual({
      ok: false,
      missing: ['name'],
    });
  });

  it('does not reach prototypes or inherited properties', () => {
    expect(renderTemplate('{{constructor.name}}', {})).toEqual({ ok: false, missing: ['constructor.name'] });
    expect(renderTemplate('x{{__proto__}}', {})).toEqual({ ok: false, missing: ['__proto__'] });
    const r = renderTemplate('{{#with a}}{{constructor}}{{/with}}', { a: {} });
    expect(r.ok ? r.text : '').toBe('');
  });

  it('refuses partials, decorators, unknown helpers and the log helper when a hook is created', () => {
    for (const bad of [
      '{{> other}}',
      '{{#> layout}}x{{/layout}}',
      '{{*inline}}',
      '{{lowercase x}}',
      '{{log x}}',
      '{{#unclosed}}',
      'x'.repeat(20_001),
    ]) {
      expect(() => validateTemplate(bad), bad.slice(0, 20)).toThrow(AppError);
    }
    expect(() => validateTemplate(T)).not.toThrow();
    expect(() => validateTemplate('{{#each items}}- {{this}}\n{{/each}}{{lookup map key}}')).not.toThrow();
  });

  it('refuses an empty rendered prompt', () => {
    expect(() => renderOrThrow('{{a}}', { a: '   ' })).toThrow(/empty/);
  });
});
