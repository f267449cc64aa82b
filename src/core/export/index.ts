import { AppError } from '../errors.js';
import { docxExporter } from './docx.js';
import { safeFilename, unicodeFilename } from './filename.js';
import { htmlExporter } from './html.js';
import { jsonExporter } from './json.js';
import { markdownExporter } from './markdown.js';
import { pdfExporter } from './pdf.js';
import { txtExporter } from './txt.js';
import {
  EXPORT_FORMATS,
  type ExportedFile,
  type Exporter,
  type ExportFormat,
  type ExportOptions,
  type ExportSource,
  isExportFormat,
} from './types.js';

export { contentDisposition, safeFilename, unicodeFilename } from './filename.js';
export * from './types.js';

export const exporters: Readonly<Record<ExportFormat, Exporter>> = {
  markdown: markdownExporter,
  html: htmlExporter,
  txt: txtExporter,
  json: jsonExporter,
  pdf: pdfExporter,
  docx: docxExporter,
};

/** Renders one version of a content item in the requested format, with its MIME type and a safe file name. */
export async function exportContent(
  request: ExportSource & { format: ExportFormat },
  options: ExportOptions = {},
): Promise<ExportedFile> {
  const exporter = isExportFormat(request.format) ? exporters[request.format] : undefined;
  if (!exporter) {
    throw new AppError('validation_failed', `Unknown export format; use one of ${EXPORT_FORMATS.join(', ')}`);
  }
  const body = await exporter.render(request, options);
  return {
    body,
    contentType: exporter.mimeType,
    filename: safeFilename(request.title, request.version, exporter.extension),
    utf8Filename: unicodeFilename(request.title, request.version, exporter.extension),
  };
}
