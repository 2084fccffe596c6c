/**
 * What an evaluation leaves in its output folder:
 *   report.json                everything (`EvalReport`; non-finite numbers are written null)
 *   report.md                  settings, verdicts, the basin-hopping tuning grid, a table per system
 *   SYSTEM-energy.svg          the replicas' best energy per atom above the reference against
 *                              evaluations per replica: median line and 10-90% band per method
 *   SYSTEM-success.svg         fraction of replicas at the known minimum against evaluations
 *                              (systems with a known global minimum only)
 *   best-SYSTEM-METHOD.xyz     each method's lowest reported point with f64 energy and forces
 *                              (extended XYZ; polished only where the search finished it)
 * and the terminal gets the per-system tables and the verdicts (`terminalReport`).
 */
import { writeFileAtomic } from "../io/output_files.ts";
import { formatXyz } from "../io/xyz.ts";
import { minimaFrames } from "../search/outputs.ts";
import type { SearchResult } from "../search/run_search.ts";
import type { Spread } from "./metrics.ts";
import type { EvalOutcome, EvalReport, MethodEvaluation, SystemEvaluation } from "./run_eval.ts";
import type { Interval } from "../core/statistics.ts";
import { lineChart, type Series } from "./svg_plot.ts";
import { type BhTuning, describeChoice } from "./tuning.ts";
import type { Comparison } from "./verdict.ts";

export const REPORT_FILES = { json: "report.json", markdown: "report.md" } as const;

/** A file-name stem from a system name ("Au55@set=jaxmd-gold" -> "Au55_set_jaxmd-gold"). */
export function fileStem(systemName: string): string {
  return systemName.replace(/[^\w.-]+/g, "_");
}

/** A table with padded columns: Markdown that also reads well in a terminal. */
export function textTable(headers: string[], rows: string[][], rightAligned: boolean[]): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c].length)));
  const pad = (text: string, c: number) =>
    rightAligned[c] ? text.padStart(widths[c]) : text.padEnd(widths[c]);
  const line = (cells: string[]) => `| ${cells.map(pad).join(" | ")} |`;
  const rule = widths.map((w, c) => rightAligned[c] ? `${"-".repeat(w - 1)}:` : "-".repeat(w));
  return [line(headers), `| ${rule.join(" | ")} |`, ...rows.map(line)].join("\n");
}

/** `digits` decimals, "-" for null or non-finite, and no sign on a value that rounds to 0. */
function fixed(value: number | null, digits: number): string {
  if (value === null || !Number.isFinite(value)) return "-";
  const text = value.toFixed(digits);
  return Number(text) === 0 ? text.replace("-", "") : text;
}

function interval(value: Interval | null, digits: number): string {
  return value === null ? "" : ` [${fixed(value.lower, digits)}, ${fixed(value.upper, digits)}]`;
}

function gapSpread(s: Spread): string {
  return `${fixed(s.q10, 4)} / ${fixed(s.median, 4)} / ${fixed(s.q90, 4)}`;
}

function firstHitCell(m: MethodEvaluation): string {
  if (m.firstHits === null) return "n/a";
  return `${fixed(m.firstHits.median, 0)}${interval(m.firstHits.interval, 0)}`;
}

/** One row per method: success, first hits, best energies, minima found, cost. */
export function systemTable(result: SystemEvaluation): string {
  const headers = [
    "method",
    "success",
    "first hit, median [95% CI]",
    "best E (f32)",
    "gap/atom q10 / median / q90",
    "best E (f64)",
    "non-finite",
    "minima per 1e6 evals",
    "evals/replica",
    "wall s",
  ];
  const rows = result.methods.map((m) => [
    m.method,
    `${m.successes}/${m.replicas} (${(100 * m.successRate).toFixed(0)}%)`,
    firstHitCell(m),
    fixed(m.bestEnergy.best, 6),
    gapSpread(m.gapPerAtom),
    `${fixed(m.refinedBestEnergy, 6)}${m.refinedBestConverged === false ? " (unfinished)" : ""}`,
    String(m.rejectedNonfinite),
    fixed(m.distinctMinimaPerMillion, 0),
    String(m.evaluationsPerReplica),
    fixed(m.wallSeconds, 1),
  ]);
  return textTable(headers, rows, [false, true, true, true, true, true, true, true, true, true]);
}

/** How a system's reference was chosen and what counts as reaching it. */
function referenceLine(result: SystemEvaluation): string {
  const { reference, tolerance } = result;
  return `reference ${fixed(reference.energy, 6)} ${result.units.energy}: ` +
    `${reference.description}; success = a replica's best energy (f32) within ` +
    `${tolerance.toPrecision(3)} of it; gap/atom = (best E - reference) / ${result.nAtoms}; ` +
    "best E (f64) is the lowest reported point, polished only where the search brought it below " +
    "its force tolerance (unfinished: it had not); non-finite = points with a non-finite energy or force, each rejected (the replica went " +
    "back to its Markov minimum or restarted; none stops)";
}

function comparisonCells(system: string, c: Comparison): string[] {
  const digits = c.criterion === "success-rate" ? 3 : 4;
  return [
    system,
    c.criterion,
    c.baseline,
    fixed(c.learned, digits),
    fixed(c.baselineValue, digits),
    `${fixed(c.difference, digits)}${interval(c.interval, digits)}`,
    c.verdict,
  ];
}

/** Per system: the learned optimizer against the best hand-designed baseline; empty without
 * comparisons. */
export function verdictTable(report: EvalReport): string {
  return comparisonTable(report.results.map((r) => [r.system, r.comparison]), "best baseline");
}

/** Per system: the learned optimizer against its untrained start; empty without it. */
export function learningTable(report: EvalReport): string {
  return comparisonTable(report.results.map((r) => [r.system, r.learning]), "against");
}

function comparisonTable(pairs: [string, Comparison | null][], baselineHeader: string): string {
  const rows = pairs.flatMap(([system, c]) => c === null ? [] : [comparisonCells(system, c)]);
  if (rows.length === 0) return "";
  const headers = [
    "system",
    "criterion",
    baselineHeader,
    "learned",
    "baseline",
    "learned - baseline [95% CI]",
    "verdict",
  ];
  return textTable(headers, rows, [false, false, false, true, true, true, false]);
}

/** The suite's verdict in one line. */
export function verdictLine(report: EvalReport): string {
  if (report.verdict === null) return "no verdict: the learned method or every baseline is missing";
  return `verdict (${report.suite}): learned ${report.verdict} against the best hand-designed ` +
    `baseline per system (${verdictCounts(report.results.map((r) => r.comparison))})`;
}

/** Whether training helped, in one line; null without the untrained method. */
export function learningLine(report: EvalReport): string | null {
  if (report.learningVerdict === null) return null;
  return `learning (${report.suite}): learned ${report.learningVerdict} against its untrained ` +
    `start (${verdictCounts(report.results.map((r) => r.learning))})`;
}

function verdictCounts(comparisons: (Comparison | null)[]): string {
  return ["wins", "ties", "loses"].map((v) =>
    `${comparisons.filter((c) => c?.verdict === v).length} ${v}`
  ).join(", ");
}

/** The tuning grid, one row per point with its score and per-system values. */
export function tuningTable(tuning: BhTuning): string {
  const { systems } = tuning.options;
  const headers = [
    "local",
    "hop fmax",
    "surface share",
    "dr (sigma-eq.)",
    "kT factor",
    "mean E/N",
    ...systems,
    "chosen",
  ];
  const { chosen } = tuning;
  const rows = tuning.points.map((p) => [
    p.local,
    String(p.hopFmax),
    String(p.surfaceShare),
    String(p.drSigma),
    String(p.temperatureFactor),
    fixed(p.score, 5),
    ...systems.map((s) => fixed(p.perSystem[s], 5)),
    p === chosen ? "yes" : "",
  ]);
  return textTable(headers, rows, headers.map((_, c) => c > 0 && c < headers.length - 1));
}

function settingsLines(report: EvalReport): string[] {
  const learned = report.checkpoint === null ? "" : ` (checkpoint ${report.checkpoint})`;
  return [
    `Methods ${report.methods.join(", ")}${learned} on ${report.systems.join(", ")}: ` +
    `${report.replicas} replicas per method and system, ${report.maxEvaluations} ` +
    `energy+force evaluations per replica, seed ${report.seed} (the same starting structures ` +
    `and random streams for every method).`,
    `Intervals: percentile bootstrap, 95%, ${report.resamples} seeded resamples of the replicas. ` +
    `Adapter: ${report.adapter}. Wall time ${report.wallSeconds.toFixed(1)} s.`,
  ];
}

function tuningSection(tuning: BhTuning): string[] {
  const { options, chosen } = tuning;
  return [
    "## Basin-hopping tuning",
    "",
    `On the learned optimizer's training systems (${options.systems.join(", ")}), ` +
    `${options.replicas} replicas and ${options.maxEvaluations} evaluations per replica per ` +
    `grid point, seed ${options.seed} (derived from the evaluation's, so other starts). dr in ` +
    `sigma-equivalents (dr = value x bond length / 2^(1/6)), kT as a factor of the potential's ` +
    `default; score = mean over systems of the replicas' mean best energy per atom (f32). ` +
    `Chosen: ${describeChoice(chosen)}.`,
    "",
    tuningTable(tuning),
    "",
  ];
}

function systemSection(result: SystemEvaluation): string[] {
  const stem = fileStem(result.system);
  const plots = [`![${result.system} best energy](${stem}-energy.svg)`];
  if (result.reference.source !== "best-found") {
    plots.push(`![${result.system} success](${stem}-success.svg)`);
  }
  return [
    `## ${result.system} (${result.nAtoms} atoms)`,
    "",
    referenceLine(result),
    "",
    systemTable(result),
    "",
    ...plots,
    "",
  ];
}

/** Learned against untrained, under the verdict: what training changed. */
function learningSection(report: EvalReport): string[] {
  const line = learningLine(report);
  if (line === null) return [];
  return [line, "", learningTable(report), ""];
}

/** report.md. */
export function markdownReport(report: EvalReport): string {
  const verdicts = verdictTable(report);
  return [
    `# Evaluation: suite ${report.suite}`,
    "",
    ...settingsLines(report),
    "",
    `## Verdict`,
    "",
    verdictLine(report),
    "",
    ...(verdicts === "" ? [] : [verdicts, ""]),
    ...learningSection(report),
    "Criterion: success rate where the system has a known global minimum or a pooled reference " +
    "(the best of a pooled search ten times longer), else the median over replicas of the best " +
    "energy per atom above the reference. Wins or loses only when the interval excludes 0 (for " +
    "median gaps, excludes +-tolerance / N: replicas at one minimum differ by f32 rounding).",
    "",
    ...(report.tuning === null ? [] : tuningSection(report.tuning)),
    ...report.results.flatMap(systemSection),
  ].join("\n");
}

/** The terminal's summary: a table per system, then the verdicts. */
export function terminalReport(report: EvalReport, out: string): string {
  const systems = report.results.flatMap((r) => [
    `${r.system}: ${referenceLine(r)}`,
    systemTable(r),
    "",
  ]);
  const tuned = report.tuning === null ? [] : [
    `bh tuned on ${report.tuning.options.systems.join(", ")}: ` +
    describeChoice(report.tuning.chosen),
  ];
  const verdicts = verdictTable(report);
  return [
    ...systems,
    ...tuned,
    ...(verdicts === "" ? [] : [verdicts]),
    verdictLine(report),
    ...(report.learningVerdict === null ? [] : [learningTable(report), learningLine(report)!]),
    `report in ${out}/${REPORT_FILES.markdown} (${report.wallSeconds.toFixed(1)} s)`,
  ].join("\n");
}

/** [evaluations, (energy - reference) / N] points of one trace quantile. */
function gapPoints(
  m: MethodEvaluation,
  result: SystemEvaluation,
  pick: "q10" | "q50" | "q90",
): [number, number][] {
  return m.trace.flatMap((p) =>
    p.replicaBest === null
      ? []
      : [[p.evaluations, (p.replicaBest[pick] - result.reference.energy) / result.nAtoms]]
  );
}

/** The replicas' best energy per atom above the reference against evaluations per replica. */
export function energyChart(result: SystemEvaluation): string {
  const series: Series[] = result.methods.map((m) => ({
    name: m.method,
    points: gapPoints(m, result, "q50"),
    band: { lower: gapPoints(m, result, "q10"), upper: gapPoints(m, result, "q90") },
  }));
  return lineChart(series, {
    title: `${result.system}: replicas' best energy (median, 10-90% band)`,
    xLabel: "evaluations per replica",
    yLabel: "(E - reference) / N",
    xLog: true,
  });
}

/** Fraction of replicas at the known minimum (or the pooled reference) against evaluations; null
 * without one. */
export function successChart(result: SystemEvaluation): string | null {
  if (result.reference.source === "best-found") return null;
  const series: Series[] = result.methods.map((m) => ({
    name: m.method,
    points: m.trace.flatMap((p) =>
      p.knownReachedFraction === null ? [] : [[p.evaluations, p.knownReachedFraction]]
    ),
  }));
  return lineChart(series, {
    title: `${result.system}: replicas at the ${
      result.reference.source === "known" ? "known minimum" : "pooled reference"
    }`,
    xLabel: "evaluations per replica",
    yLabel: "success rate",
    xLog: true,
    yRange: [0, 1],
  });
}

/** The lowest minimum a search reported, as extended XYZ; null when it found none. */
export function bestStructureXyz(search: SearchResult): string | null {
  const frames = minimaFrames(search).slice(0, 1);
  return frames.length === 0 ? null : formatXyz(frames);
}

/** Writes every file (see above) into `dir`, created if needed; returns their paths. */
export async function writeEvalOutputs(dir: string, outcome: EvalOutcome): Promise<string[]> {
  const { report, searches } = outcome;
  await Deno.mkdir(dir, { recursive: true });
  const files = new Map<string, string>([
    [REPORT_FILES.json, JSON.stringify(report, null, 2) + "\n"],
    [REPORT_FILES.markdown, markdownReport(report)],
  ]);
  report.results.forEach((result, s) => {
    const stem = fileStem(result.system);
    files.set(`${stem}-energy.svg`, energyChart(result));
    const success = successChart(result);
    if (success !== null) files.set(`${stem}-success.svg`, success);
    searches[s].forEach((search, k) => {
      const xyz = bestStructureXyz(search);
      if (xyz !== null) files.set(`best-${stem}-${result.methods[k].method}.xyz`, xyz);
    });
  });
  const paths: string[] = [];
  for (const [name, text] of files) {
    paths.push(`${dir}/${name}`);
    await writeFileAtomic(`${dir}/${name}`, text);
  }
  return paths;
}
