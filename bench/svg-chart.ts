/**
 * A small horizontal bar chart in hand-written SVG (no browser, no dependency): one row per bar,
 * bars grouped under a heading (e.g. one group per queue depth), a whisker for the min–max range
 * of the runs, the median printed at the end of each bar. Colours follow the series, so the same
 * competitor has the same colour in every group and every chart.
 */
import { formatCount } from './format.js';

export interface ChartBar {
  /** Index into {@link ChartSpec.series}: the bar's label and colour. */
  readonly series: number;
  readonly value: number;
  readonly min?: number;
  readonly max?: number;
}

export interface ChartGroup {
  /** Heading shown above the group's bars; empty for a single unlabelled group. */
  readonly label: string;
  readonly bars: readonly ChartBar[];
}

export interface ChartSpec {
  readonly title: string;
  readonly subtitle?: string;
  /** Unit of the values, shown on the axis ("ops/s", "MB/s"). */
  readonly unit: string;
  readonly series: readonly string[];
  readonly groups: readonly ChartGroup[];
  /** Series drawn with a heavier outline (faultline's own backends). */
  readonly highlighted?: readonly number[];
}

const WIDTH = 880;
const LABEL_WIDTH = 300;
const VALUE_WIDTH = 70;
const BAR_HEIGHT = 16;
const ROW_HEIGHT = 21;
const GROUP_HEADING_HEIGHT = 22;
const TOP = 58;
const AXIS_HEIGHT = 34;
const TICKS = 5;
const PALETTE = [
  '#d9480f', '#f08c00', '#c2255c', '#e8590c', '#1971c2', '#1098ad', '#5f3dc4', '#3b5bdb',
  '#2f9e44', '#66a80f', '#862e9c', '#495057', '#0b7285', '#a61e4d',
];

/** Escapes text for SVG content and attributes. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function seriesColor(index: number): string {
  return PALETTE[index % PALETTE.length]!;
}

/** The smallest 1/2/5 × 10^k not below `value` (axis end). */
export function niceCeiling(value: number): number {
  if (!(value > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * magnitude >= value) return step * magnitude;
  }
  return 10 * magnitude;
}

/** Renders `spec` as a standalone SVG document. */
export function renderBarChart(spec: ChartSpec): string {
  const plotLeft = LABEL_WIDTH;
  const plotWidth = WIDTH - LABEL_WIDTH - VALUE_WIDTH - 20;
  const labelled = spec.groups.some((g) => g.label !== '');
  let peak = 0;
  for (const group of spec.groups) {
    for (const bar of group.bars) peak = Math.max(peak, bar.value, bar.max ?? 0);
  }
  const axisMax = niceCeiling(peak);
  const x = (value: number): number => plotLeft + (Math.max(0, value) / axisMax) * plotWidth;
  const highlighted = new Set(spec.highlighted ?? []);

  const body: string[] = [];
  let y = TOP;
  for (const group of spec.groups) {
    if (labelled) {
      body.push(`<text x="12" y="${y + 15}" class="group">${escapeXml(group.label)}</text>`);
      y += GROUP_HEADING_HEIGHT;
    }
    for (const bar of group.bars) {
      const name = spec.series[bar.series] ?? `series ${bar.series}`;
      const color = seriesColor(bar.series);
      const barEnd = x(bar.value);
      const mid = y + BAR_HEIGHT / 2;
      body.push(`<text x="${plotLeft - 8}" y="${mid + 4}" class="label" text-anchor="end">${escapeXml(name)}</text>`);
      const stroke = highlighted.has(bar.series) ? ' stroke="#212529" stroke-width="1.5"' : '';
      body.push(`<rect x="${plotLeft}" y="${y}" width="${(barEnd - plotLeft).toFixed(1)}" height="${BAR_HEIGHT}" fill="${color}"${stroke} rx="2"><title>${escapeXml(`${name}: ${formatCount(bar.value)} ${spec.unit}`)}</title></rect>`);
      if (bar.min !== undefined && bar.max !== undefined) {
        const x1 = x(bar.min).toFixed(1);
        const x2 = x(bar.max).toFixed(1);
        body.push(`<path d="M${x1} ${mid}H${x2}M${x1} ${mid - 4}V${mid + 4}M${x2} ${mid - 4}V${mid + 4}" class="whisker"/>`);
      }
      const textX = Math.max(barEnd, bar.max !== undefined ? x(bar.max) : 0) + 6;
      body.push(`<text x="${textX.toFixed(1)}" y="${mid + 4}" class="value">${formatCount(bar.value)}</text>`);
      y += ROW_HEIGHT;
    }
  }
  const plotBottom = y + 4;
  const axis: string[] = [];
  for (let i = 0; i <= TICKS; i++) {
    const value = (axisMax / TICKS) * i;
    const tx = x(value).toFixed(1);
    axis.push(`<line x1="${tx}" y1="${TOP - 6}" x2="${tx}" y2="${plotBottom}" class="grid"/>`);
    axis.push(`<text x="${tx}" y="${plotBottom + 16}" class="tick" text-anchor="middle">${formatCount(value)}</text>`);
  }
  axis.push(`<text x="${plotLeft + plotWidth / 2}" y="${plotBottom + 31}" class="tick" text-anchor="middle">${escapeXml(spec.unit)} (median of runs; whisker: min–max)</text>`);
  const height = plotBottom + AXIS_HEIGHT;

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${escapeXml(spec.title)}">`,
    '<style>text{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;fill:#212529}',
    '.title{font-size:16px;font-weight:600}.subtitle{font-size:12px;fill:#495057}.group{font-size:12px;font-weight:600}',
    '.label{font-size:12px}.value{font-size:11px}.tick{font-size:11px;fill:#495057}',
    '.grid{stroke:#dee2e6;stroke-width:1}.whisker{stroke:#212529;stroke-width:1.2;fill:none}</style>',
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="12" y="24" class="title">${escapeXml(spec.title)}</text>`,
    spec.subtitle === undefined ? '' : `<text x="12" y="42" class="subtitle">${escapeXml(spec.subtitle)}</text>`,
    ...axis,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
