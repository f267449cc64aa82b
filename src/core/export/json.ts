import type { Exporter } from './types.js';

function iso(value: Date | string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return value instanceof Date ? value.toISOString() : value;
}

/** The version as data: body, version number and the provenance recorded with it. */
export const jsonExporter: Exporter = {
  format: 'json',
  mimeType: 'application/json; charset=utf-8',
  extension: 'json',
  render(source, options) {
    const document = {
      id: source.id,
      taskId: source.taskId ?? undefined,
      title: source.title,
      contentType: source.contentType ?? undefined,
      status: source.status,
      version: source.version,
      contentData: source.contentData,
      metadata: source.metadata ?? {},
      createdAt: iso(source.createdAt),
      updatedAt: iso(source.updatedAt),
      exportedAt: (options.exportedAt ?? new Date()).toISOString(),
    };
    return `${JSON.stringify(document, null, 2)}\n`;
  },
};
