/**
 * The hopping analysis of an evaluation report: the learned optimizer against FIRE with random
 * restarts and basin hopping on one system, from f64 trajectories (hopping.ts) of a few seeded
 * starts, as a markdown table and two SVG plots (the distribution of step lengths, and the energy
 * of the basin each trajectory is in against evaluations).
 */
import type { LearnedOptimizer } from "../learned/learned_optimizer.ts";
import { defaultSettings, type Method, methodSpec } from "../search/defaults.ts";
import { randomStructure } from "../systems/random_structures.ts";
import type { System } from "../systems/system.ts";
import { basinChangeRate, histogram, hoppingTrajectory, logEdges } from "./hopping.ts";
import { lineChart } from "./svg_plot.ts";

export interface HoppingReport {
  markdown: string;
  stepLengthsSvg: string;
  basinsSvg: string;
}

export interface HoppingReportOptions {
  system: System;
  learned: LearnedOptimizer;
  starts: number;
  evaluations: number;
  seed: number;
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
  return {
    markdown,
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
  };
}
