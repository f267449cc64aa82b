import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { UsageRow } from './usageReport.js';

/**
 * The small bar chart a scheduled report carries into chat (issue 16): one bar per group (the
 * report's first rows), cost in dollars when any row has a cost, else tasks.
 *
 * Vega-Lite compiles the spec, Vega renders it to SVG with its headless SVG renderer (`toSVG`,
 * no canvas, no native build), and resvg (@resvg/resvg-js, a Rust rasteriser shipped as prebuilt
 * binaries in npm packages) turns the SVG into a PNG with the Noto fonts of the PDF export loaded
 * from node_modules: Latin, Cyrillic and Greek (Noto Sans), CJK (Noto Sans Hans), Arabic (Noto
 * Naskh Arabic) and Hebrew (Noto Sans Hebrew). resvg shapes text itself (rustybuzz, bidi) and falls
 * back per character to a loaded font that has the glyph; no system font is used, so the image is
 * the same on every machine. A render takes tens of milliseconds (mostly font loading), so the
 * server runs it on the render pool's threads (RenderJob kind `reportChart`).
 */
export interface ReportChartInput {
  title: string;
  rows: UsageRow[];
}

export interface ReportChart {
  png: Buffer;
  /** The SVG the PNG was rasterised from (its <text> holds the labels as given). */
  svg: string;
  width: number;
  height: number;
}

/** Bars at most: a chat image stays legible. */
export const CHART_MAX_BARS = 12;
const WIDTH = 640;

const require = createRequire(import.meta.url);
function packageFont(pkg: string, file: string): string {
  return join(dirname(require.resolve(pkg)), '..', 'fonts', file);
}

let fontFiles: string[] | undefined;
/** The Noto fonts (the PDF export's set, regular weight) that resvg renders with. */
export function chartFontFiles(): string[] {
  fontFiles ??= [
    packageFont('@embedpdf/fonts-latin', 'NotoSans-Regular.ttf'),
    packageFont('@embedpdf/fonts-latin', 'NotoSans-Bold.ttf'),
    packageFont('@embedpdf/fonts-sc', 'NotoSansHans-Regular.otf'),
    packageFont('@embedpdf/fonts-arabic', 'NotoNaskhArabic-Regular.ttf'),
    packageFont('@embedpdf/fonts-hebrew', 'NotoSansHebrew-Regular.ttf'),
  ];
  return fontFiles;
}

/** The measure the chart shows: cost when the period had any, else task counts. */
export function chartMeasure(rows: UsageRow[]): { field: 'cost' | 'tasks'; title: string } {
  return rows.some((r) => r.costMicros > 0)
    ? { field: 'cost', title: 'Cost (USD)' }
    : { field: 'tasks', title: 'Tasks' };
}

/** The Vega-Lite spec of the chart: horizontal bars, largest first. */
export function chartSpec(input: ReportChartInput): Record<string, unknown> {
  const measure = chartMeasure(input.rows);
  const values = input.rows
    .map((r) => ({
      label: r.label.length > 32 ? `${r.label.slice(0, 31)}…` : r.label,
      cost: r.costMicros / 1_000_000,
      tasks: r.tasks,
    }))
    .sort((a, b) => b[measure.field] - a[measure.field])
    .slice(0, CHART_MAX_BARS);
  const font = 'Noto Sans, Noto Sans SC, Noto Naskh Arabic, Noto Sans Hebrew';
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: input.title, anchor: 'start', fontSize: 14 },
    width: WIDTH - 260,
    height: { step: 22 },
    background: 'white',
    padding: 12,
    data: { values },
    mark: { type: 'bar', color: '#4c78a8', tooltip: false },
    encoding: {
      y: {
        field: 'label',
        type: 'nominal',
        sort: null,
        title: null,
        axis: { labelLimit: 220, labelFontSize: 12 },
      },
      x: {
        field: measure.field,
        type: 'quantitative',
        title: measure.title,
        axis: measure.field === 'cost' ? { format: '$,.2f' } : { format: 'd', tickMinStep: 1 },
      },
    },
    config: { font, view: { stroke: null } },
  };
}

/** Renders the chart: SVG by Vega (no canvas), PNG by resvg with the Noto fonts. */
export async function renderReportChart(input: ReportChartInput): Promise<ReportChart> {
  const [vega, vegaLite, { Resvg }] = await Promise.all([
    import('vega'),
    import('vega-lite'),
    import('@resvg/resvg-js'),
  ]);
  const compiled = vegaLite.compile(chartSpec(input) as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  let svg: string;
  try {
    svg = await view.toSVG();
  } finally {
    view.finalize();
  }
  const resvg = new Resvg(svg, {
    font: {
      loadSystemFonts: false,
      fontFiles: chartFontFiles(),
      defaultFontFamily: 'Noto Sans',
      sansSerifFamily: 'Noto Sans',
    },
    // Twice the layout size: crisp on high-density screens, still a small file (tens of kB).
    fitTo: { mode: 'zoom', value: 2 },
  });
  const image = resvg.render();
  return { png: image.asPng(), svg, width: image.width, height: image.height };
}
