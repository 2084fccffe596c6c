/**
 * Dependency-free SVG line charts for evaluation reports. The output is plain SVG 1.1 that renders
 * in a browser and on GitHub: xmlns set, explicit width/height and viewBox, no scripts, no external
 * fonts or CSS, sans-serif text, hex colours and a white background (readable in dark mode too).
 *
 * A chart has a title, axis labels, about five "nice" ticks per axis (1-2-5 steps; decades on a
 * log x axis) with light grey gridlines, one polyline per series (a marker when a series has a
 * single point), an optional quantile band per series as a translucent polygon under the lines,
 * and a legend to the right of the plot (below it when the names are long). Non-finite points
 * (and x <= 0 on a log axis) are skipped; a chart with nothing to draw says "no data". Every
 * number in the file is rounded to 2 decimals.
 */

/** One line of a chart. */
export interface Series {
  /** Legend name. */
  name: string;
  /** [x, y] pairs, joined in order (a step function is fine as a polyline). */
  points: [number, number][];
  /** Quantile band, filled between the upper edge and the lower edge. */
  band?: { lower: [number, number][]; upper: [number, number][] };
}

/** Texts and axes of a chart. */
export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  /** Logarithmic x axis. */
  xLog?: boolean;
  /** Fixed y range [min, max]; lines outside it are clipped. Default: the data's, padded 4%. */
  yRange?: [number, number];
  /** Pixels; default 640. */
  width?: number;
  /** Pixels; default 400. */
  height?: number;
}

/** Okabe-Ito colour-blind-friendly palette; series past its end repeat it with dashes. */
export const PALETTE = [
  "#0072B2",
  "#D55E00",
  "#009E73",
  "#CC79A7",
  "#E69F00",
  "#56B4E9",
  "#F0E442",
  "#000000",
] as const;

const DASHES = ["", "6 3", "2 2"];
const FONT_SIZE = 12;
/** A generous estimate of one character's width at FONT_SIZE, for layout. */
const CHAR_WIDTH = 7;
const LEGEND_ROW = 18;
const LEGEND_SWATCH = 20;
const GRID_COLOUR = "#e5e5e5";
const AXIS_COLOUR = "#333333";
const TEXT_COLOUR = "#222222";

type Point = [number, number];

/** An axis in data space (log10 of the value on a log axis), with its ticks. */
interface Axis {
  min: number;
  max: number;
  ticks: number[];
  labels: string[];
}

/** The plot area in pixels. */
interface Frame {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Each series' line and band polygon (upper edge, then lower edge reversed), in data space. */
interface Prepared {
  lines: Point[][];
  bands: Point[][];
}

/**
 * An SVG line chart of `series`; see the module doc for what it draws. Throws a RangeError for a
 * yRange that is not finite with min < max.
 */
export function lineChart(series: Series[], options: ChartOptions): string {
  const fixed = options.yRange;
  if (fixed && !(Number.isFinite(fixed[0]) && Number.isFinite(fixed[1]) && fixed[1] > fixed[0])) {
    throw new RangeError(`yRange must be finite with min < max, got [${fixed}]`);
  }
  const width = options.width ?? 640;
  const height = options.height ?? 400;
  const data = prepare(series, options.xLog ?? false);
  const all = [...data.lines.flat(), ...data.bands.flat()];
  const hasData = all.length > 0;
  const x = hasData ? xAxis(all.map((p) => p[0]), options.xLog ?? false) : undefined;
  const y = hasData ? yAxis(all.map((p) => p[1]), fixed) : undefined;
  const names = series.map((s) => s.name);
  const { frame, legendAt } = layout(width, height, y?.labels ?? [], names);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="${num(width)}" ` +
    `height="${num(height)}" viewBox="0 0 ${num(width)} ${num(height)}" ` +
    `font-family="sans-serif" font-size="${FONT_SIZE}" fill="${TEXT_COLOUR}">`,
    `<title>${escapeXml(options.title)}</title>`,
    `<rect width="${num(width)}" height="${num(height)}" fill="#ffffff"/>`,
    ...(x && y ? axes(x, y, frame) : [noData(frame)]),
    rect(frame, `class="plot-area" fill="none" stroke="${AXIS_COLOUR}"`),
    ...texts(options, frame, width),
    ...(x && y ? plotted(data, x, y, frame, fixed !== undefined) : []),
    ...legend(names, legendAt),
    "</svg>",
  ];
  return parts.join("\n") + "\n";
}

/** Escapes XML's special characters and drops the control characters XML 1.0 forbids. */
export function escapeXml(text: string): string {
  const entities: Record<string, string> = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    '"': "&quot;",
    "'": "&apos;",
  };
  return Array.from(text)
    .filter((c) => c >= " " || c === "\t" || c === "\n" || c === "\r")
    .map((c) => entities[c] ?? c)
    .join("");
}

/**
 * About five ticks between min and max at a 1-2-5 step (1, 2 or 5 times a power of ten), only
 * those inside [min, max]; none when the span is not finite.
 */
export function niceTicks(min: number, max: number): number[] {
  const step = niceStep((max - min) / 5);
  if (!Number.isFinite(step) || step <= 0) return [];
  const first = Math.ceil(min / step - 1e-9);
  const count = Math.floor(max / step + 1e-9) - first;
  const ticks: number[] = [];
  for (let i = 0; i <= count; i++) ticks.push((first + i) * step + 0);
  return ticks;
}

/**
 * Ticks of a log axis spanning 10^min..10^max, as log10 values: the decades inside (every n-th
 * when there are more than 7), or 1-2-5 multiples inside when fewer than two decades are, or
 * linear nice ticks when fewer than two of those are.
 */
export function logTicks(min: number, max: number): number[] {
  const first = Math.ceil(min - 1e-9) + 0;
  const last = Math.floor(max + 1e-9);
  if (last - first >= 1) {
    const stride = Math.ceil((last - first + 1) / 7);
    const decades: number[] = [];
    for (let k = Math.ceil(first / stride) * stride; k <= last; k += stride) decades.push(k);
    return decades;
  }
  const multiples: number[] = [];
  for (let k = Math.floor(min); k <= Math.ceil(max); k++) {
    for (const m of [1, 2, 5]) {
      const t = k + Math.log10(m);
      if (t >= min - 1e-9 && t <= max + 1e-9) multiples.push(t);
    }
  }
  if (multiples.length >= 2) return multiples;
  return niceTicks(10 ** min, 10 ** max).filter((t) => t > 0).map(Math.log10);
}

/**
 * Tick labels: plain with thousands separators ("0.2", "1,000"), or all in short exponent form
 * ("2e5", "1e-4") when the largest magnitude is at least 1e5 or below 1e-3.
 */
export function tickLabels(values: number[]): string[] {
  const largest = Math.max(0, ...values.map(Math.abs));
  const exponential = largest >= 1e5 || (largest > 0 && largest < 1e-3);
  return values.map((value) => {
    const v = Number(value.toPrecision(12)) + 0;
    if (v === 0) return "0";
    if (exponential) return v.toExponential().replace("e+", "e");
    return v.toLocaleString("en-US", { maximumFractionDigits: 20 });
  });
}

/** 1, 2 or 5 times the power of ten at or below `rough`, whichever is nearest in ratio. */
function niceStep(rough: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const ratio = rough / magnitude;
  const multiple = ratio < 1.5 ? 1 : ratio < 3 ? 2 : ratio < 7 ? 5 : 10;
  return multiple * magnitude;
}

/** The series' lines and band polygons in data space, x as log10 on a log axis, finite only. */
function prepare(series: Series[], xLog: boolean): Prepared {
  const clean = (points: Point[]): Point[] =>
    points
      .map(([x, y]): Point => [xLog ? Math.log10(x) : x, y])
      .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  return {
    lines: series.map((s) => clean(s.points)),
    bands: series.map((s) =>
      s.band ? [...clean(s.band.upper), ...clean(s.band.lower).reverse()] : []
    ),
  };
}

/** [min, max] of finite values, widened around a single value (10% of it, or 1 around 0). */
function range(values: number[]): [number, number] {
  const lo = values.reduce((a, b) => Math.min(a, b));
  const hi = values.reduce((a, b) => Math.max(a, b));
  if (hi > lo) return [lo, hi];
  const pad = lo === 0 ? 1 : Math.abs(lo) / 10;
  return [lo - pad, hi + pad];
}

/** The x axis over the data, exactly (lines reach both sides of the plot). */
function xAxis(values: number[], log: boolean): Axis {
  const [min, max] = range(values);
  const ticks = log ? logTicks(min, max) : niceTicks(min, max);
  return { min, max, ticks, labels: tickLabels(log ? ticks.map((t) => 10 ** t) : ticks) };
}

/** The y axis over `fixed`, or over the data padded by 4% on each side. */
function yAxis(values: number[], fixed?: [number, number]): Axis {
  const [lo, hi] = range(values);
  const [min, max] = fixed ?? [lo - 0.04 * (hi - lo), hi + 0.04 * (hi - lo)];
  const ticks = niceTicks(min, max);
  return { min, max, ticks, labels: tickLabels(ticks) };
}

/**
 * The plot area and where the legend starts: the legend sits right of the plot unless its
 * names would take more than 30% of the width, then below the axis label.
 */
function layout(
  width: number,
  height: number,
  yLabels: string[],
  names: string[],
): { frame: Frame; legendAt: Point } {
  const longestTick = Math.max(1, ...yLabels.map((l) => l.length));
  const left = 24 + longestTick * CHAR_WIDTH + 8;
  const top = 36;
  const longestName = Math.max(0, ...names.map((n) => Array.from(n).length));
  const legendWidth = LEGEND_SWATCH + 8 + longestName * CHAR_WIDTH;
  const beside = names.length === 0 || legendWidth <= 0.3 * width;
  const right = beside && names.length > 0 ? legendWidth + 28 : 24;
  const bottom = 50 + (beside ? 0 : 8 + names.length * LEGEND_ROW);
  const frame = {
    left,
    top,
    width: Math.max(1, width - left - right),
    height: Math.max(1, height - top - bottom),
  };
  const legendAt: Point = beside
    ? [left + frame.width + 16, top + LEGEND_ROW / 2]
    : [left, top + frame.height + 58 + LEGEND_ROW / 2];
  return { frame, legendAt };
}

/** Gridlines, tick marks and tick labels of both axes. */
function axes(x: Axis, y: Axis, frame: Frame): string[] {
  const toX = scale([x.min, x.max], [frame.left, frame.left + frame.width]);
  const toY = scale([y.min, y.max], [frame.top + frame.height, frame.top]);
  const bottom = frame.top + frame.height;
  const right = frame.left + frame.width;
  const grid: string[] = [];
  const marks: string[] = [];
  const labels: string[] = [];
  x.ticks.forEach((t, i) => {
    const px = num(toX(t));
    grid.push(`<line x1="${px}" y1="${num(frame.top)}" x2="${px}" y2="${num(bottom)}"/>`);
    marks.push(`<line x1="${px}" y1="${num(bottom)}" x2="${px}" y2="${num(bottom + 5)}"/>`);
    labels.push(
      `<text class="x-tick" x="${px}" y="${num(bottom + 18)}" text-anchor="middle">` +
        `${escapeXml(x.labels[i])}</text>`,
    );
  });
  y.ticks.forEach((t, i) => {
    const py = num(toY(t));
    grid.push(`<line x1="${num(frame.left)}" y1="${py}" x2="${num(right)}" y2="${py}"/>`);
    marks.push(`<line x1="${num(frame.left - 5)}" y1="${py}" x2="${num(frame.left)}" y2="${py}"/>`);
    labels.push(
      `<text class="y-tick" x="${num(frame.left - 8)}" y="${py}" dy="0.35em" ` +
        `text-anchor="end">${escapeXml(y.labels[i])}</text>`,
    );
  });
  return [
    `<g stroke="${GRID_COLOUR}" stroke-width="1">`,
    ...grid,
    "</g>",
    `<g stroke="${AXIS_COLOUR}" stroke-width="1">`,
    ...marks,
    "</g>",
    ...labels,
  ];
}

/** The "no data" note in the middle of the plot area. */
function noData(frame: Frame): string {
  const cx = num(frame.left + frame.width / 2);
  const cy = num(frame.top + frame.height / 2);
  return `<text class="no-data" x="${cx}" y="${cy}" text-anchor="middle">no data</text>`;
}

/** Title above the plot, x label below it, y label rotated left of it. */
function texts(options: ChartOptions, frame: Frame, width: number): string[] {
  const yMiddle = num(frame.top + frame.height / 2);
  return [
    `<text class="title" x="${num(width / 2)}" y="22" text-anchor="middle" font-size="15" ` +
    `font-weight="bold">${escapeXml(options.title)}</text>`,
    `<text class="x-label" x="${num(frame.left + frame.width / 2)}" ` +
    `y="${num(frame.top + frame.height + 40)}" text-anchor="middle">` +
    `${escapeXml(options.xLabel)}</text>`,
    `<text class="y-label" x="16" y="${yMiddle}" text-anchor="middle" ` +
    `transform="rotate(-90 16 ${yMiddle})">${escapeXml(options.yLabel)}</text>`,
  ];
}

/**
 * Bands, then lines (and markers for single points); clipped to the plot area when `clip` (only
 * a fixed y range can put data outside it, and simple renderers such as ImageMagick's own skip
 * clipped content).
 */
function plotted(data: Prepared, x: Axis, y: Axis, frame: Frame, clip: boolean): string[] {
  const toX = scale([x.min, x.max], [frame.left, frame.left + frame.width]);
  const toY = scale([y.min, y.max], [frame.top + frame.height, frame.top]);
  const pixels = (points: Point[]): Point[] =>
    points
      .map(([px, py]): Point => [toX(px), toY(py)])
      .filter(([px, py]) => Number.isFinite(px) && Number.isFinite(py));
  const coords = (points: Point[]) => points.map(([px, py]) => `${num(px)},${num(py)}`).join(" ");
  const bands = data.bands.map(pixels).flatMap((band, i) =>
    band.length > 0
      ? [`<polygon points="${coords(band)}" fill="${colour(i)}" fill-opacity="0.2" stroke="none"/>`]
      : []
  );
  const lines = data.lines.map(pixels).flatMap((line, i) => {
    if (line.length === 0) return [];
    const dash = DASHES[Math.floor(i / PALETTE.length) % DASHES.length];
    const polyline = `<polyline points="${coords(line)}" fill="none" stroke="${colour(i)}" ` +
      `stroke-width="2" stroke-linejoin="round"${dash ? ` stroke-dasharray="${dash}"` : ""}/>`;
    const [[px, py]] = line;
    const marker = `<circle cx="${num(px)}" cy="${num(py)}" r="3.5" fill="${
      colour(i)
    }" stroke="none"/>`;
    return line.length === 1 ? [polyline, marker] : [polyline];
  });
  if (!clip) return [...bands, ...lines];
  return [
    `<defs><clipPath id="plot-clip">${rect(frame, "")}</clipPath></defs>`,
    `<g clip-path="url(#plot-clip)">`,
    ...bands,
    ...lines,
    "</g>",
  ];
}

/** One row per series from `at`: a line swatch in its colour and dash, then its name. */
function legend(names: string[], at: Point): string[] {
  return names.flatMap((name, i) => {
    const [x, y] = [at[0], at[1] + i * LEGEND_ROW];
    const dash = DASHES[Math.floor(i / PALETTE.length) % DASHES.length];
    return [
      `<line x1="${num(x)}" y1="${num(y)}" x2="${num(x + LEGEND_SWATCH)}" y2="${num(y)}" ` +
      `stroke="${colour(i)}" stroke-width="3"${dash ? ` stroke-dasharray="${dash}"` : ""}/>`,
      `<text class="legend" x="${num(x + LEGEND_SWATCH + 6)}" y="${num(y)}" dy="0.35em">` +
      `${escapeXml(name)}</text>`,
    ];
  });
}

/** The palette colour of series i. */
function colour(i: number): string {
  return PALETTE[i % PALETTE.length];
}

/** A rect element over `frame` with extra attributes. */
function rect(frame: Frame, attributes: string): string {
  return `<rect x="${num(frame.left)}" y="${num(frame.top)}" width="${num(frame.width)}" ` +
    `height="${num(frame.height)}"${attributes ? " " + attributes : ""}/>`;
}

/** The linear map taking `from` onto `to`. */
function scale(from: [number, number], to: [number, number]): (v: number) => number {
  const factor = (to[1] - to[0]) / (from[1] - from[0]);
  return (v) => to[0] + (v - from[0]) * factor;
}

/** A number rounded to 2 decimals, without trailing zeros or "-0". */
function num(v: number): string {
  return String(Math.round(v * 100) / 100 + 0);
}
