/** Hopping analysis: quenches, basin changes and histograms on cases with known answers. */
import assert from "node:assert/strict";
import {
  ARCHITECTURES,
  defaultLocalSettings,
  LearnedOptimizer,
  lennardJones,
  localMethod,
  parseSystem,
  randomStructure,
} from "../mod.ts";
import { DEFAULT_ARCHITECTURE } from "../src/learned/architectures.ts";
import { defaultHopping } from "../src/search/defaults.ts";
import {
  basinChangeRate,
  histogram,
  hoppingTrajectory,
  logEdges,
  quench,
} from "../src/eval/hopping.ts";
import { icosahedron13, minimize1d } from "./helpers.ts";
import { hoppingReport } from "../src/eval/hopping_report.ts";
import { HOPPER } from "../src/learned/hopper.ts";

const LJ13 = parseSystem("LJ13");

Deno.test("a quench from a slightly distorted icosahedron reaches -44.326801", () => {
  const radius = minimize1d(
    (r) => lennardJones()({ positions: icosahedron13(r), species: new Uint32Array(13) }).energy,
    1,
    1.2,
  );
  const distorted = icosahedron13(radius).map((x, k) => x + 0.02 * Math.sin(7 * k));
  assert.ok(Math.abs(quench(LJ13, distorted) - -44.326801) < 1e-6);
});

Deno.test("histograms and log edges", () => {
  assert.deepEqual(logEdges(1, 1000, 3).map((x) => Math.round(x)), [1, 10, 100, 1000]);
  assert.deepEqual(histogram([0.5, 1, 5, 10, 99, 1000], [1, 10, 100, 1000]), [2, 2, 0]);
});

Deno.test("FIRE settles in one basin; basin hopping moves between basins", () => {
  const start = randomStructure(LJ13, 4);
  const common = {
    system: LJ13,
    start,
    evaluations: 600,
    quenchEvery: 20,
    hyper: { step: 0.05, dr: 0.4, temperature: 0.8, seed: 1 },
  };
  const local = localMethod(defaultLocalSettings("fire", 0.2));
  const fire = hoppingTrajectory({
    ...common,
    method: "fire",
    spec: { local, driver: { mode: "local", fmax: 1e-3 }, containerRadius: 0 },
  });
  // Quenches from a FIRE descent all reach the minimum it is descending into... except early
  // ones, from far-off starting points; once converged the trajectory stops.
  const late = fire.quenches.filter(([evaluations]) => evaluations >= 100);
  assert.ok(late.every(([, e]) => Math.abs(e - late[0][1]) < 1e-3), JSON.stringify(late));
  const hopping = { ...defaultHopping(LJ13, { uniform: 1 }), hopFmax: 1e-3, relaxStepCap: 40 };
  const bh = hoppingTrajectory({
    ...common,
    method: "bh",
    spec: { local, driver: { mode: "hopping", hopping }, containerRadius: 0 },
  });
  assert.equal(bh.evaluations, 600);
  assert.ok(bh.basinChanges >= 3, `basin changes ${bh.basinChanges}`);
  assert.ok(basinChangeRate(bh) > basinChangeRate(fire));
  assert.equal(bh.stepLengths.length, 599);
  assert.ok(bh.stepLengths.every((s) => s >= 0 && Number.isFinite(s)));
});

Deno.test("hopping report: a table row per method and two well-formed plots", () => {
  const perStep = new LearnedOptimizer(
    ARCHITECTURES[DEFAULT_ARCHITECTURE],
    ARCHITECTURES[DEFAULT_ARCHITECTURE].initialTheta(1),
  );
  const report = hoppingReport({
    system: LJ13,
    learned: perStep,
    untrained: perStep,
    starts: 2,
    evaluations: 300,
    seed: 5,
    dr: 0.4,
    temperature: 0.8,
  });
  const rows = report.markdown.split("\n").filter((line) =>
    /^\| (learned|random restarts|basin)/.test(line)
  );
  assert.equal(rows.length, 3);
  for (const svg of [report.stepLengthsSvg, report.basinsSvg]) {
    assert.match(svg, /^<svg/);
    assert.doesNotMatch(svg, /NaN|Infinity/);
    assert.equal((svg.match(/<polyline/g) ?? []).length, 3);
  }
  assert.equal(report.hopDecisions, null);
  assert.match(report.markdown, /\(per-atom-mlp\) makes no hop decisions/);
});

Deno.test("hopping report of a hopper: its hop decisions beside its untrained start's", () => {
  const hopper = ARCHITECTURES[HOPPER.architecture.name];
  const report = hoppingReport({
    system: LJ13,
    learned: new LearnedOptimizer(hopper, new Float32Array(HOPPER.parameterCount)),
    untrained: new LearnedOptimizer(hopper, hopper.initialTheta(1)),
    starts: 1,
    evaluations: 300,
    seed: 5,
    dr: 0.4,
    temperature: 0.8,
  });
  // Both zero-output hoppers are basin hopping: the same hops, the same summary.
  const [zero, untrained] = report.hopDecisions!;
  assert.deepEqual({ ...zero, label: "untrained" }, untrained);
  assert.ok(zero.hops > 0);
  const lines = report.markdown.split("\n");
  assert.ok(lines.includes("| | learned | untrained |"));
  const row = (name: string) => lines.find((line) => line.startsWith(`| ${name} |`));
  assert.equal(
    row("temperature multiplier (mean)"),
    "| temperature multiplier (mean) | 1.000 | 1.000 |",
  );
  assert.equal(
    row("surface moves on basin hopping's atom"),
    "| surface moves on basin hopping's atom | 100% | 100% |",
  );
  assert.equal(row("hops"), `| hops | ${zero.hops} | ${zero.hops} |`);
  assert.doesNotMatch(report.markdown, /NaN|Infinity/);
});
