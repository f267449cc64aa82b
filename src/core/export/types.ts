export const EXPORT_FORMATS = ['markdown', 'html', 'txt', 'json', 'pdf', 'docx'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export function isExportFormat(value: unknown): value is ExportFormat {
  return typeof value === 'string' && (EXPORT_FORMATS as readonly string[]).includes(value);
}

/** One version of a content item, as the exporters need it. */
export interface ExportSource {
  title: string;
  /** The body, as markdown. */
  contentData: string;
  version: number;
  /** Provenance recorded with the version (provider, model, account, tokens, latency, fallback chain). */
  metadata?: Record<string, unknown> | null;
  /** The content's type, e.g. the task type that produced it. */
  contentType?: string | null;
  id?: string;
  taskId?: string | null;
  status?: string;
  createdAt?: Date | string;
  updatedAt?: Date | string;
}

export interface ExportOptions {
  /** Stamped into the JSON export and the PDF/DOCX properties; defaults to now. */
  exportedAt?: Date;
  /**
   * TrueType/OpenType fonts for the PDF. Without them the PDF uses the built-in Helvetica/Courier,
   * which only cover Western European text; other characters are printed as "?".
   */
  pdfFonts?: PdfFonts;
}

export interface PdfFonts {
  regular: string | Buffer;
  bold?: string | Buffer;
  italic?: string | Buffer;
  boldItalic?: string | Buffer;
  mono?: string | Buffer;
}

export interface ExportedFile {
  body: Buffer | string;
  /** The Content-Type header value. */
  contentType: string;
  /** ASCII-safe file name for Content-Disposition. */
  filename: string;
  /** The same name keeping non-ASCII letters, for the filename* parameter. */
  utf8Filename: string;
}

/** One export format: its MIME type, its file extension, and how to render a version. */
export interface Exporter {
  format: ExportFormat;
  mimeType: string;
  extension: string;
  render(source: ExportSource, options: ExportOptions): Promise<Buffer | string> | Buffer | string;
}
