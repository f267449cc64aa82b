import type { ExportedFile, ExportFormat, ExportOptions, ExportSource } from '../export/types.js';
import type { ReportChart, ReportChartInput } from '../reports/chartImage.js';
import type { UnifiedDiff, UnifiedDiffInput } from './diff.js';
import type { ShareBody } from './sharePage.js';

/**
 * The CPU-heavy work of the content use cases (diff, export rendering, markdown → HTML of a share
 * page) as plain-data jobs, so a renderer can run them on another thread. Jobs and results hold only
 * structured-cloneable values (strings, numbers, Dates, Buffers).
 */
export type RenderJob =
  | { kind: 'diff'; input: UnifiedDiffInput }
  | { kind: 'export'; source: ExportSource & { format: ExportFormat }; options?: ExportOptions }
  | { kind: 'shareBody'; title: string; markdown: string }
  /** A scheduled report's chart image (reports/chartImage.ts): always on a thread (30–60 ms warm). */
  | { kind: 'reportChart'; input: ReportChartInput };

export type RenderKind = RenderJob['kind'];
export type RenderJobOf<K extends RenderKind> = Extract<RenderJob, { kind: K }>;

export interface RenderResults {
  diff: UnifiedDiff;
  export: ExportedFile;
  shareBody: ShareBody;
  reportChart: ReportChart;
}

/**
 * The port the content service renders through. The server's implementation is a worker-thread
 * pool (src/workers/renderPool.ts); scripts and unit tests use `inlineRenderer`.
 */
export interface Renderer {
  /** `requester` (a user id) lets the renderer share its capacity fairly between users. */
  render<K extends RenderKind>(job: RenderJobOf<K>, requester?: string): Promise<RenderResults[K]>;
  /**
   * Throws (429/503) when a job of this weight (renderWeight; a size in bytes is a safe
   * over-estimate of characters) would be refused now, so the caller can refuse before loading
   * megabytes of text for nothing.
   */
  admit?(requester: string | undefined, weight: number): void;
}

// The renderers pull in markdown, sanitizer, diff, PDF and DOCX libraries: each is loaded on first
// use rather than at start-up (workers and CLI commands that never render do not pay for them).
const lazy = <T>(load: () => Promise<T>) => {
  let loaded: Promise<T> | undefined;
  return () => {
    loaded ??= load();
    return loaded;
  };
};
const loadExporters = lazy(() => import('../export/index.js'));
const loadDiff = lazy(() => import('./diff.js'));
const loadSharePage = lazy(() => import('./sharePage.js'));
const loadChart = lazy(() => import('../reports/chartImage.js'));

/** Runs a job on the calling thread (the worker entry and `inlineRenderer` both use this). */
export async function renderHere<K extends RenderKind>(job: RenderJobOf<K>): Promise<RenderResults[K]> {
  const j = job as RenderJob;
  switch (j.kind) {
    case 'diff':
      return (await loadDiff()).unifiedDiff(j.input) as RenderResults[K];
    case 'export':
      return (await (await loadExporters()).exportContent(j.source, j.options)) as RenderResults[K];
    case 'shareBody':
      return (await loadSharePage()).renderShareBody(j.title, j.markdown) as RenderResults[K];
    case 'reportChart':
      return (await (await loadChart()).renderReportChart(j.input)) as RenderResults[K];
  }
}

/** Renders on the calling thread: for scripts, the CLI and unit tests. */
export const inlineRenderer: Renderer = { render: (job) => renderHere(job) };

/** PDF and DOCX: a fixed cost of 50–150 ms even for a few lines (font metrics, zip packing). */
export function isHeavyFormat(format: ExportFormat): boolean {
  return format === 'pdf' || format === 'docx';
}

/**
 * How many characters of text a job renders. PDF and DOCX count as infinitely large (isHeavyFormat),
 * so they always go to a worker; JSON export is a single JSON.stringify (about 1 ms per MB) and
 * counts as zero.
 */
export function renderWeight(job: RenderJob): number {
  switch (job.kind) {
    case 'diff':
      return job.input.fromText.length + job.input.toText.length;
    case 'export':
      return exportWeight(job.source.format, job.source.contentData.length);
    case 'shareBody':
      return job.markdown.length;
    case 'reportChart':
      return Number.POSITIVE_INFINITY;
  }
}

/** renderWeight of an export of a body of `chars` characters. */
export function exportWeight(format: ExportFormat, chars: number): number {
  if (isHeavyFormat(format)) return Number.POSITIVE_INFINITY;
  return format === 'json' ? 0 : chars;
}
