/**
 * The hopping analysis of an evaluation report: the learned optimizer against FIRE with random
 * restarts and basin hopping on one system, from f64 trajectories (hopping.ts) of a few seeded
 * starts, as a markdown table and two SVG plots (the distribution of step lengths, and the energy
 * of the basin each trajectory is in against evaluations); then, for a learned hop controller,
 * its hop decisions beside its untrained start's (hop_decisions.ts).
 */
import { defaultSettings, type Method, methodSpec } from "../search/defaults.ts";
import { randomStructure } from "../systems/random_structures.ts";
import {
  HOP_MOVES,
  type HopDecisionOptions,
  hopDecisions,
  type HopDecisionSummary,
} from "./hop_decisions.ts";
import { basinChangeRate, histogram, hoppingTrajectory, logEdges } from "./hopping.ts";
import { lineChart } from "./svg_plot.ts";

export interface HoppingReport {
  markdown: string;
  stepLengthsSvg: string;
  basinsSvg: string;
  /** Learned, then untrained; null when the learned optimizer takes no hop decisions. */
  hopDecisions: HopDecisionSummary[] | null;
}

/** The hop-decision table's options (the same optimizers, starts and budget), and basin
 * hopping's settings for the trajectories. */
export interface HoppingReportOptions extends HopDecisionOptions {
  /** Basin hopping's displacement and temperature (e.g. the values tuned for the report). */
  dr: number;
  temperature: number;
}

const METHODS: { method: Method; label: string }[] = [
  { method: "learned", label: "learned" },
  { method: "random", label: "random restarts" },
  { method: "bh", label: "basin hopping" },
];

export function hoppingReport(options: HoppingReportOptions): HoppingReport {
  const { system } = options;
  const edges = logEdges(1e-5 * system.bondLength, system.bondLength, 25);
  const rows: string[] = [];
  const histograms = [];
  const basins = [];
  for (const { method, label } of METHODS) {
    const learned = method === "learned" ? options.learned : undefined;
    const spec = methodSpec(system, defaultSettings(system, method), learned);
    const trajectories = Array.from({ length: options.starts }, (_, s) =>
      hoppingTrajectory({
        system,
        method,
        spec,
        hyper: {
          step: 0.1,
          dr: options.dr,
          temperature: options.temperature,
          seed: options.seed + s,
        },
        start: randomStructure(system, options.seed, s),
        evaluations: options.evaluations,
        quenchEvery: 10,
        weights: learned?.weights,
      }));
    const steps = trajectories.flatMap((t) => t.stepLengths).sort((a, b) => a - b);
    const changes = trajectories.flatMap((t) => t.energyChanges);
    const rate = trajectories.reduce((sum, t) => sum + basinChangeRate(t), 0) / trajectories.length;
    const lowest = Math.min(...trajectories.flatMap((t) => t.quenches.map(([, e]) => e)));
    const quantile = (p: number) => steps[Math.floor(p * (steps.length - 1))];
    rows.push(
      `| ${label} | ${rate.toFixed(1)} | ${quantile(0.5).toExponential(2)} / ` +
        `${quantile(0.9).toExponential(2)} / ${quantile(0.99).toExponential(2)} | ` +
        `${(100 * changes.filter((d) => d > 0).length / changes.length).toFixed(0)}% | ` +
        `${lowest.toFixed(4)} |`,
    );
    const counts = histogram(steps, edges);
    histograms.push({
      name: label,
      points: counts.map((c, i): [number, number] => [
        Math.sqrt(edges[i] * edges[i + 1]),
        c / steps.length,
      ]),
    });
    basins.push({ name: label, points: trajectories[0].quenches });
  }
  const markdown = [
    `Hopping behaviour on ${system.name}: ${options.starts} seeded starts per method, ` +
    `${options.evaluations} evaluations each, f64 trajectories quenched every 10 evaluations ` +
    "(src/eval/hopping.ts).",
    "",
    "| method | basin changes per 1000 evaluations | step length median / 90% / 99% | uphill steps | lowest minimum |",
    "| --- | ---: | --- | ---: | ---: |",
    ...rows,
  ].join("\n");
  const decisions = hopDecisions(options);
  return {
    markdown: `${markdown}\n\n${hopDecisionsMarkdown(options, decisions)}`,
    stepLengthsSvg: lineChart(histograms, {
      title: `${system.name}: distribution of step lengths`,
      xLabel: "root-mean-square atom displacement per step",
      yLabel: "fraction of steps",
      xLog: true,
    }),
    basinsSvg: lineChart(basins, {
      title: `${system.name}: energy of the current basin (first start)`,
      xLabel: "energy+force evaluations",
      yLabel: "quenched energy",
    }),
    hopDecisions: decisions,
  };
}

/** The hop decisions as a table with a column per summary. */
function hopDecisionsMarkdown(
  options: HoppingReportOptions,
  summaries: HopDecisionSummary[] | null,
): string {
  if (summaries === null) {
    return `The checkpoint's architecture (${options.learned.architecture.description.name}) ` +
      "makes no hop decisions: it is not a hop controller.";
  }
  const number = (value: number, digits: number) =>
    Number.isFinite(value) ? value.toFixed(digits) : "–";
  const percent = (value: number) => Number.isFinite(value) ? `${(100 * value).toFixed(0)}%` : "–";
  const pair = ({ median, q90 }: { median: number; q90: number }) =>
    `${number(median, 3)} / ${number(q90, 3)}`;
  const row = (name: string, cell: (s: HopDecisionSummary) => string) =>
    `| ${name} | ${summaries.map(cell).join(" | ")} |`;
  return [
    `Hop decisions on ${options.system.name}: the learned optimizer and its untrained start ` +
    "(basin hopping) from the same seeded starts and budget, f64 (src/eval/hop_decisions.ts). " +
    "Multipliers are of basin hopping's defaults (1 for it); a surface move's rank is its atom's " +
    "place by energy share at the Markov minimum (0: the highest, basin hopping's choice); " +
    "displacements are from the Markov minimum to the new start, in bond lengths.",
    "",
    `| | ${summaries.map((s) => s.label).join(" | ")} |`,
    `| --- |${" ---: |".repeat(summaries.length)}`,
    row("hops", (s) => `${s.hops}`),
    row("hops per 1000 evaluations", (s) => number(s.hopsPerThousandEvaluations, 1)),
    row("relaxation steps before a hop (median)", (s) => number(s.medianRelaxSteps, 0)),
    row("rms displacement, median / 90%", (s) => pair(s.rmsDisplacement)),
    row("largest atom displacement, median / 90%", (s) => pair(s.maxDisplacement)),
    row("temperature multiplier (mean)", (s) => number(s.meanScales.temperature, 3)),
    row("dr multiplier (mean)", (s) => number(s.meanScales.dr, 3)),
    row("hop-tolerance multiplier (mean)", (s) => number(s.meanScales.hopFmax, 3)),
    row(
      `moves ${HOP_MOVES.join(" / ")}`,
      (s) => HOP_MOVES.map((move) => percent(s.moves[move])).join(" / "),
    ),
    row("accepted", (s) => percent(s.acceptance)),
    row(
      "surface moves on basin hopping's atom",
      (s) => percent(s.surface?.basinHoppingAtom ?? NaN),
    ),
    row("surface-moved atom's rank (mean)", (s) => number(s.surface?.meanRank ?? NaN, 2)),
  ].join("\n");
}
