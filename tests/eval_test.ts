/**
 * Evaluation at equal cost: the statistics and metrics on constructed cases with known answers
 * (quantiles, seeded bootstrap intervals, success rates, first hits, verdicts), a tiny suite end to
 * end (files written and readable, the same seed giving the same numbers), every replica started
 * at the LJ13 global minimum succeeding at its first evaluation, and the command line's errors.
 */
import { localSearches } from "../src/eval/search_runner.ts";
import assert from "node:assert/strict";
import { testGpu } from "./gpu.ts";
import { icosahedron13, runTaskFile, TINY_TUNING } from "./helpers.ts";
import { parseSystem, parseXyz, UserError } from "../mod.ts";
import { Rng } from "../src/core/rng.ts";
import { loopBudget } from "../src/gpu/loop_budget.ts";
import {
  countSuccesses,
  firstHitSummary,
  hitIndicators,
  methodMetrics,
  spread,
  systemReference,
} from "../src/eval/metrics.ts";
import {
  type EvalOptions,
  evaluateSystem,
  loadEvalCheckpoint,
  runEvaluation,
  trainingSystems,
} from "../src/eval/run_eval.ts";
import { REPORT_FILES, textTable, writeEvalOutputs } from "../src/eval/report.ts";
import {
  bootstrapDifference,
  bootstrapInterval,
  median,
  quantile,
} from "../src/core/statistics.ts";
import { suiteByName, SUITES } from "../src/eval/suites.ts";
import {
  bhSettings,
  bhSweeps,
  chooseTuningPoint,
  gridPoints,
  tuningSeed,
  tuningSystems,
} from "../src/eval/tuning.ts";
import {
  bestBaseline,
  compareLearned,
  criterionFor,
  type MethodSample,
  suiteVerdict,
  verdictFromInterval,
} from "../src/eval/verdict.ts";
import { refineStructure } from "../src/search/refine.ts";
import type { MethodSettings } from "../src/search/defaults.ts";
import { runSearch, searchOptions, type SearchResult } from "../src/search/run_search.ts";

const gpu = await testGpu();
const CHECKPOINT = new URL("../checkpoints/lj-small.safetensors", import.meta.url).pathname;
const HOPPER = new URL("../checkpoints/lj-hopper.safetensors", import.meta.url).pathname;
const LJ13 = parseSystem("LJ13");
const LJ13_GLOBAL = -44.326801;

/** n uniform draws in [0, 1) from a seeded stream: median 0.5. */
function uniformSample(n: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  return Float64Array.from({ length: n }, () => rng.uniform());
}

/** A sample with the given hits (1/0) and gaps per atom. */
function sample(method: MethodSample["method"], hits: number[], gaps: number[]): MethodSample {
  return { method, hits: Float64Array.from(hits), gaps: Float64Array.from(gaps) };
}

/** A search result with the given per-replica outcomes and nothing else of interest. */
function fakeResult(
  system: string,
  bests: number[],
  firstHits: number[] | null,
  extra: Partial<SearchResult> = {},
): SearchResult {
  const options = searchOptions(parseSystem(system), "random", { replicas: bests.length });
  return {
    options,
    adapter: "none",
    layout: "lane",
    stopReason: "budget",
    evaluationsPerReplica: 1000,
    totalEvaluations: 1000 * bests.length,
    wallSeconds: 1,
    trace: [],
    distinctMinima: 0,
    archiveCapacity: 1000,
    minima: [],
    candidatesExamined: 0,
    refinementEvaluations: 0,
    replicaStatus: { running: bests.length, converged: 0 },
    rejectedNonfinite: { points: 0, replicas: 0 },
    exchanges: null,
    reseeds: null,
    tabooHits: null,
    population: null,
    replicaBestEnergies: Float32Array.from(bests),
    replicaFirstHits: firstHits && Float64Array.from(firstHits),
    ...extra,
  };
}

/** A JSON value without the keys that hold wall-clock times. */
function withoutTimes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutTimes);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => key !== "wallSeconds" && key !== "seconds")
      .map(([key, v]) => [key, withoutTimes(v)]),
  );
}

Deno.test("quantiles interpolate between order statistics; infinities stay infinite", () => {
  const sorted = [1, 2, 3, 4];
  assert.equal(quantile(sorted, 0), 1);
  assert.equal(quantile(sorted, 1), 4);
  assert.equal(quantile(sorted, 0.5), 2.5);
  assert.ok(Math.abs(quantile(sorted, 0.1) - 1.3) < 1e-12);
  assert.equal(quantile([-2, Infinity, Infinity], 0.9), Infinity);
  assert.ok(Number.isNaN(quantile([], 0.5)));
  assert.equal(median([5, 1, 3]), 3);
  assert.deepEqual(spread([4, 3, 2, 1, 0]), { best: 0, q10: 0.4, median: 2, q90: 3.6 });
});

Deno.test("bootstrap: the interval of a median holds the true one and is seeded", () => {
  const values = uniformSample(401, 7);
  const interval = bootstrapInterval(values, median, { seed: 3 });
  assert.ok(interval.lower < 0.5 && interval.upper > 0.5, JSON.stringify(interval));
  // The median of 401 uniforms has standard deviation 1 / (2 sqrt(401)) = 0.025.
  assert.ok(interval.upper - interval.lower < 0.2, JSON.stringify(interval));
  assert.deepEqual(bootstrapInterval(values, median, { seed: 3 }), interval);
  assert.notDeepEqual(bootstrapInterval(values, median, { seed: 4 }), interval);
  // A shift by 1 between two samples: the difference's interval holds -1 and excludes 0.
  const shifted = uniformSample(401, 8).map((x) => x + 1);
  const difference = bootstrapDifference(values, shifted, median, { seed: 3 });
  assert.ok(difference.lower < -1 && difference.upper > -1, JSON.stringify(difference));
  assert.ok(difference.upper < 0);
  assert.throws(() => bootstrapInterval([], median, { seed: 1 }), RangeError);
});

Deno.test("metrics: successes within the tolerance, first hits, gaps per atom, minima rate", () => {
  const threshold = LJ13_GLOBAL + 1e-3;
  assert.equal(countSuccesses([LJ13_GLOBAL, threshold, threshold + 1e-6, Infinity], threshold), 2);
  assert.deepEqual(Array.from(hitIndicators([-2, -1, 0], -1)), [1, 1, 0]);
  const hits = firstHitSummary([Infinity, 30, 10, Infinity, 20], { seed: 1 });
  assert.equal(hits.replicasHit, 3);
  assert.equal(hits.median, 20);
  assert.ok(hits.interval!.lower >= 10 && hits.interval!.upper <= 30);
  assert.deepEqual(firstHitSummary([Infinity], { seed: 1 }), {
    replicasHit: 0,
    median: null,
    interval: null,
  });

  const result = fakeResult(
    "LJ13",
    [-44.3268, -44.3262, -44.0, -43.0],
    [100, 300, Infinity, Infinity],
    { distinctMinima: 6 },
  );
  const reference = systemReference(LJ13, [result]);
  assert.deepEqual([reference.source, reference.energy], ["known", LJ13_GLOBAL]);
  const metrics = methodMetrics("random", result, reference, { seed: 1 });
  assert.equal(metrics.successes, 2);
  assert.equal(metrics.successRate, 0.5);
  assert.equal(metrics.firstHits!.median, 200);
  assert.equal(metrics.bestEnergy.best, Math.fround(-44.3268));
  assert.ok(Math.abs(metrics.gapPerAtom.median - (-44.1631 - LJ13_GLOBAL) / 13) < 1e-5);
  assert.equal(metrics.distinctMinimaPerMillion, 6 / 4000 * 1e6);

  // No known minimum: the lowest best of any method is the reference, without first hits.
  const ag = [fakeResult("Ag7", [-17.5, -17.0], null), fakeResult("Ag7", [-16, -17.55], null)];
  const agReference = systemReference(parseSystem("Ag7"), ag);
  assert.deepEqual([agReference.source, agReference.energy], ["best-found", Math.fround(-17.55)]);
  assert.equal(methodMetrics("bh", ag[1], agReference, { seed: 1 }).firstHits, null);
  assert.equal(methodMetrics("bh", ag[1], agReference, { seed: 1 }).successes, 1);
  // With a pooled search's best (data/pooled_minima.json), that one, unless a method went lower.
  const au13 = parseSystem("Au13");
  const pooled = au13.known.find((k) => k.kind === "pooled-best")!.energy;
  const above = systemReference(au13, [fakeResult("Au13", [pooled + 0.1, pooled + 0.2], null)]);
  assert.deepEqual([above.source, above.energy], ["pooled", pooled]);
  // f32 rounding below it is still the pooled minimum.
  const rounded = systemReference(au13, [fakeResult("Au13", [pooled - 5e-6, pooled + 0.2], null)]);
  assert.equal(rounded.source, "pooled");
  assert.match(above.description, /pooled bh run/);
  const below = systemReference(au13, [fakeResult("Au13", [pooled - 0.5, pooled + 0.2], null)]);
  assert.deepEqual([below.source, below.energy], ["best-found", Math.fround(pooled - 0.5)]);
});

Deno.test("the criterion: success rate against a reference some method reached, else the median gap", () => {
  const sample = (hits: number[]) => ({
    method: "bh" as const,
    hits: Float64Array.from(hits),
    gaps: Float64Array.from(hits, (h) => 1 - h),
  });
  const known = { energy: -277.5424, source: "known" as const, description: "diamond" };
  assert.equal(criterionFor(known, [sample([0, 0]), sample([0, 1])]), "success-rate");
  // Silicon's crystal from random starts: nobody got there, so every success rate is 0.
  assert.equal(criterionFor(known, [sample([0, 0]), sample([0, 0])]), "median-gap-per-atom");
  const found = { ...known, source: "best-found" as const };
  assert.equal(criterionFor(found, [sample([1, 1])]), "median-gap-per-atom");
});

Deno.test("verdicts: intervals that exclude 0 decide; the best baseline is picked", () => {
  assert.equal(verdictFromInterval("success-rate", { lower: 0.1, upper: 0.3 }), "wins");
  assert.equal(verdictFromInterval("success-rate", { lower: -0.3, upper: -0.1 }), "loses");
  assert.equal(verdictFromInterval("success-rate", { lower: -0.1, upper: 0 }), "ties");
  assert.equal(verdictFromInterval("median-gap-per-atom", { lower: -0.3, upper: -0.1 }), "wins");
  assert.equal(verdictFromInterval("median-gap-per-atom", { lower: 0.1, upper: 0.3 }), "loses");
  // Replicas at the same minimum differ by f32 rounding: within the margin is a tie.
  const rounding = { lower: -2e-4, upper: -1e-9 };
  assert.equal(verdictFromInterval("median-gap-per-atom", rounding, 1e-3 / 13), "ties");
  assert.equal(verdictFromInterval("median-gap-per-atom", rounding), "wins");

  const ones = Array(32).fill(1);
  const zeros = Array(32).fill(0);
  const gaps = Array.from({ length: 32 }, (_, k) => k / 100);
  const learned = sample("learned", ones, gaps);
  const weak = sample("gd", zeros, gaps.map((g) => g + 1));
  const strong = sample("bh", ones, gaps.map((g) => g + 0.5));
  const close = sample("random", ones, gaps.map((g) => g + 0.1));
  // Equal success rates: the lower median gap decides.
  assert.equal(bestBaseline("success-rate", [weak, strong, close]).method, "random");
  const win = compareLearned("success-rate", learned, [weak], { seed: 1 });
  assert.deepEqual([win.baseline, win.difference, win.verdict], ["gd", 1, "wins"]);
  assert.deepEqual(win.interval, { lower: 1, upper: 1 });
  const tie = compareLearned("success-rate", learned, [weak, strong], { seed: 1 });
  assert.deepEqual([tie.baseline, tie.difference, tie.verdict], ["bh", 0, "ties"]);
  const medians = compareLearned("median-gap-per-atom", learned, [weak, close], { seed: 1 });
  assert.equal(medians.baseline, "random");
  assert.ok(Math.abs(medians.difference + 0.1) < 1e-12);
  assert.equal(medians.verdict, "wins");
  const lose = compareLearned("median-gap-per-atom", weak, [learned], { seed: 1 });
  assert.equal(lose.verdict, "loses");

  assert.equal(suiteVerdict(["wins", "ties"]), "wins");
  assert.equal(suiteVerdict(["loses", "ties"]), "loses");
  assert.equal(suiteVerdict(["ties", "ties"]), "ties");
  assert.equal(suiteVerdict(["wins", "loses"]), "mixed");
});

Deno.test("tuning grid, suites and the checkpoint's training systems", async () => {
  const base = { local: "lbfgs", hopFmax: 0.03, surfaceShare: 0.5 } as const;
  const lj = bhSweeps(LJ13, { ...base, drSigma: 0.36, temperatureFactor: 2 });
  assert.ok(Math.abs((lj.dr as number) - 0.36) < 1e-12);
  assert.equal(lj.temperature, 1.6);
  const au = parseSystem("Au13");
  const gold = bhSweeps(au, { ...base, drSigma: 0.5, temperatureFactor: 0.5 });
  assert.ok(Math.abs((gold.dr as number) - 0.5 * au.bondLength / 2 ** (1 / 6)) < 1e-12);
  assert.equal(gold.temperature, 0.05);
  // A grid point's settings: its local method, hop tolerance and surface share.
  const fireNoSurface = bhSettings(LJ13, {
    ...base,
    local: "fire",
    hopFmax: 1e-3,
    surfaceShare: 0,
    drSigma: 0.36,
    temperatureFactor: 1,
  });
  assert.equal(fireNoSurface.driver, "hopping");
  if (fireNoSurface.driver === "hopping") {
    assert.equal(fireNoSurface.local.method, "fire");
    assert.equal(fireNoSurface.hopping.hopFmax, 1e-3);
    // The surface share splits the uniform and surface moves; symmetrise and inversion keep
    // theirs.
    assert.deepEqual(fireNoSurface.hopping.moves, {
      uniform: 0.8 / 3 + 0.8 / 3,
      surface: 0,
      symmetrise: 0.8 / 3,
      inversion: 0.2,
    });
  }
  const grid = gridPoints({
    locals: ["fire", "lbfgs"],
    hopFmax: [0.03],
    surfaceShares: [0.5],
    drSigma: [1, 2],
    temperatureFactors: [3, 4],
  });
  assert.equal(grid.length, 8);
  assert.deepEqual(grid.slice(0, 4).map((p) => [p.local, p.drSigma, p.temperatureFactor]), [
    ["fire", 1, 3],
    ["fire", 1, 4],
    ["fire", 2, 3],
    ["fire", 2, 4],
  ]);
  assert.equal(grid[4].local, "lbfgs");
  const point = (score: number) => ({
    ...base,
    drSigma: score,
    temperatureFactor: 1,
    score,
    perSystem: {},
  });
  assert.equal(chooseTuningPoint([point(-1), point(-3), point(-3), point(-2)]).score, -3);
  assert.notEqual(tuningSeed(1), 1);
  // Tuned on the training systems of the evaluated families, spread over them.
  const training = ["LJ10", "LJ12", "LJ14", "Cu12", "Ag16", "Ag4Au4", "Si64"];
  assert.deepEqual(tuningSystems(training, ["LJ13", "LJ19", "Au13"], 2), ["LJ10", "Ag16"]);
  assert.deepEqual(tuningSystems(training, ["LJ26"], 2), ["LJ10", "LJ14"]);
  assert.deepEqual(tuningSystems(training, ["Si216"]), ["Si64"]);
  assert.deepEqual(tuningSystems(training, ["LJ13"], 1), ["LJ10"]);
  // None of the evaluated families among them: all of them.
  assert.deepEqual(tuningSystems(["LJ10", "LJ12"], ["Au13"]), ["LJ10", "LJ12"]);

  assert.deepEqual(suiteByName("quick").systems, ["LJ13", "LJ19", "Au13"]);
  assert.equal(SUITES.gupta.systems.length, 20);
  for (const suite of Object.values(SUITES)) suite.systems.forEach((s) => parseSystem(s));
  assert.throws(() => suiteByName("toString"), UserError);
  // Each held-out suite leaves out every system its hopper's config trains on: no system, and
  // for Gupta no element, in common.
  const elements = (names: string[]) => new Set(names.flatMap((n) => parseSystem(n).elements));
  for (const [suite, config] of [["lj-heldout", "lj-hopper"], ["gupta-heldout", "gupta-hopper"]]) {
    const training: string[] = JSON.parse(
      await Deno.readTextFile(new URL(`../configs/${config}.json`, import.meta.url)),
    ).systems;
    const held = SUITES[suite].systems;
    assert.deepEqual(held.filter((s) => training.includes(s)), [], suite);
    if (suite === "gupta-heldout") {
      const seen = elements(training);
      assert.deepEqual([...elements(held)].filter((e) => seen.has(e)), [], suite);
    }
  }
  const alloys = JSON.parse(
    await Deno.readTextFile(new URL("../configs/bimetallic-hopper.json", import.meta.url)),
  ).systems as string[];
  const pairs = (names: string[]) => names.map((n) => parseSystem(n).elements.toSorted().join("-"));
  assert.deepEqual(new Set(pairs(alloys)), new Set(["Ag-Au"]));
  assert.ok(pairs(SUITES["bimetallic-heldout"].systems).every((p) => p !== "Ag-Au"));

  assert.deepEqual(trainingSystems({ systems: ["LJ10"] }, "x"), ["LJ10"]);
  assert.throws(() => trainingSystems({ name: "x" }, "x"), UserError);
  const checkpoint = await loadEvalCheckpoint(CHECKPOINT);
  assert.deepEqual(checkpoint.trainingSystems, [10, 11, 12, 13, 14, 15, 16].map((n) => `LJ${n}`));
  assert.equal(checkpoint.optimizer.maxStepBondLengths, 0.2);
});

Deno.test("tables pad their columns and align numbers right", () => {
  assert.equal(
    textTable(["a", "value"], [["xyz", "1"], ["b", "22"]], [false, true]),
    "| a   | value |\n| --- | ----: |\n| xyz |     1 |\n| b   |    22 |",
  );
});

/** A tiny evaluation: LJ7 and LJ8, learned against random restarts and basin hopping. */
async function tinyOptions(): Promise<EvalOptions> {
  return {
    suite: "tiny",
    systems: ["LJ7", "LJ8"],
    methods: ["learned", "untrained", "random", "bh"],
    replicas: 16,
    maxEvaluations: 200,
    seed: 5,
    learned: await loadEvalCheckpoint(CHECKPOINT),
    tuning: TINY_TUNING,
    resamples: 200,
  };
}

Deno.test("a tiny suite end to end: files written and readable, runs repeat exactly", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const options = await tinyOptions();
    const first = await runEvaluation(options, { searches: localSearches(gpu) });
    const paths = await writeEvalOutputs(dir, first);
    const names = paths.map((p) => p.slice(dir.length + 1)).sort();
    const expected: string[] = [REPORT_FILES.json, REPORT_FILES.markdown];
    for (const system of ["LJ7", "LJ8"]) {
      expected.push(`${system}-energy.svg`, `${system}-success.svg`);
      for (const method of options.methods) expected.push(`best-${system}-${method}.xyz`);
    }
    assert.deepEqual(names, expected.sort());

    const report = JSON.parse(await Deno.readTextFile(`${dir}/${REPORT_FILES.json}`));
    assert.equal(report.results.length, 2);
    assert.deepEqual(report.tuning.points.length, 2);
    for (const result of report.results) {
      assert.equal(result.reference.source, "known");
      assert.ok(["wins", "ties", "loses"].includes(result.comparison.verdict));
      for (const m of result.methods) {
        // The success count agrees with the replicas that recorded a first hit.
        const hits = m.replicaFirstHits.filter((h: number | null) => h !== null).length;
        assert.equal(m.successes, hits);
        assert.equal(m.replicaBestEnergies.length, 16);
        assert.ok(m.trace.length >= 10);
        assert.equal(m.search.maxEvaluations, 200);
        const xyz = parseXyz(
          await Deno.readTextFile(`${dir}/best-${result.system}-${m.method}.xyz`),
        );
        assert.equal(Number(xyz[0].info.energy), m.refinedBestEnergy);
        assert.equal(xyz[0].forces!.length, 3 * result.nAtoms);
        // The reported best is what the search reached: polishing a finished minimum lowers its
        // energy by far less than the tolerance, and nothing unfinished is polished.
        const reached = Math.min(...m.replicaBestEnergies);
        assert.ok(m.refinedBestEnergy >= reached - result.tolerance, `${m.method}`);
        assert.equal(xyz[0].info.converged, m.refinedBestConverged ? "T" : "F");
        assert.equal(m.rejectedNonfinite, m.search.rejectedNonfinite.points);
        assert.equal(m.refinementEvaluations, m.search.evaluations.refinement);
      }
      assert.deepEqual(result.units, {
        energy: "epsilon",
        length: "sigma",
        force: "epsilon/sigma",
      });
    }
    // Basin hopping ran with the chosen point of its grid.
    const chosen = report.tuning.chosen;
    const bh = report.results[0].methods.find((m: { method: string }) => m.method === "bh");
    assert.ok(Math.abs(bh.search.options.dr - chosen.drSigma) < 1e-12);
    const markdown = await Deno.readTextFile(`${dir}/${REPORT_FILES.markdown}`);
    assert.match(markdown, /## Basin-hopping tuning/);
    assert.match(markdown, /verdict \(tiny\): learned (wins|ties|loses|mixed)/);
    assert.match(
      markdown,
      /learning \(tiny\): learned (wins|ties|loses|mixed) against its untrained/,
    );
    // The hand-designed baseline is never the untrained optimizer.
    for (const result of report.results) {
      assert.ok(["random", "bh"].includes(result.comparison.baseline));
      assert.equal(result.learning.baseline, "untrained");
    }
    assert.match(await Deno.readTextFile(`${dir}/LJ7-energy.svg`), /^<svg/);

    const second = await runEvaluation(options, { searches: localSearches(gpu) });
    assert.deepEqual(
      withoutTimes(JSON.parse(JSON.stringify(second.report))),
      withoutTimes(report),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("every replica started at the LJ13 minimum succeeds at its first evaluation", async () => {
  const icosahedron = refineStructure(LJ13, icosahedron13(1.1)).positions;
  const replicas = 8;
  const starts = new Float64Array(replicas * icosahedron.length);
  for (let r = 0; r < replicas; r++) starts.set(icosahedron, r * icosahedron.length);
  const { report } = await runEvaluation({
    ...(await tinyOptions()),
    systems: ["LJ13"],
    methods: ["learned", "random", "adam"],
    replicas,
    maxEvaluations: 100,
    starts: (system) => system.name === "LJ13" ? starts : undefined,
  }, { searches: localSearches(gpu) });
  const [result] = report.results;
  for (const m of result.methods) {
    assert.equal(m.successRate, 1, m.method);
    assert.deepEqual(m.replicaFirstHits, Array(replicas).fill(1), m.method);
    assert.equal(m.firstHits!.median, 1);
    assert.deepEqual(m.firstHits!.interval, { lower: 1, upper: 1 });
  }
  assert.deepEqual(
    [result.comparison!.difference, result.comparison!.verdict],
    [0, "ties"],
  );
});

Deno.test("search traces spread the replicas' bests; evaluateSystem needs learned and a baseline", async () => {
  const LJ7 = parseSystem("LJ7");
  const options = searchOptions(LJ7, "random", { replicas: 8, maxEvaluations: 100, keep: 1 });
  const random = await runSearch(options, { gpu });
  const last = random.trace.at(-1)!;
  const bests = Array.from(random.replicaBestEnergies);
  assert.equal(last.replicaBest!.min, Math.min(...bests));
  assert.equal(last.replicaBest!.q50, median(bests));
  const hits = random.replicaFirstHits!.filter(Number.isFinite).length;
  assert.equal(hits, random.known!.replicasReached);
  assert.equal(last.knownReachedFraction, hits / 8);
  const evaluation = evaluateSystem(LJ7, ["random"], [random], { seed: 1 });
  assert.equal(evaluation.comparison, null);
  assert.equal(evaluation.methods[0].successes, hits);
  // Given starts must hold one structure per replica.
  await assert.rejects(runSearch({ ...options, starts: new Float64Array(3) }, { gpu }), UserError);
});

Deno.test("untrained is the hopper's start, basin hopping itself, as default-bh is; fire-bh relaxes with FIRE", async () => {
  const LJ8 = parseSystem("LJ8");
  const checkpoint = await loadEvalCheckpoint(HOPPER);
  // A trained checkpoint: its weights are not its start.
  assert.ok(checkpoint.optimizer.weights.some((w, k) => w !== checkpoint.untrained.weights[k]));
  const { report } = await runEvaluation({
    ...(await tinyOptions()),
    systems: ["LJ8"],
    methods: ["untrained", "fire-bh", "default-bh"],
    replicas: 8,
    maxEvaluations: 300,
    learned: checkpoint,
  }, { searches: localSearches(gpu) });
  const bh = await runSearch(
    searchOptions(LJ8, "bh", { replicas: 8, maxEvaluations: 300, seed: 5, keep: 1 }),
    { gpu },
  );
  const [untrained, fireBh, defaultBh] = report.results[0].methods;
  assert.deepEqual(untrained.replicaBestEnergies, Array.from(bh.replicaBestEnergies));
  assert.deepEqual(defaultBh.replicaBestEnergies, Array.from(bh.replicaBestEnergies));
  const localOf = (settings: MethodSettings) =>
    settings.driver === "learned" ? null : settings.local.method;
  assert.equal(localOf(fireBh.search.options.settings), "fire");
  assert.equal(localOf(bh.options.settings), "lbfgs");
  assert.equal(report.results[0].comparison, null);
  assert.equal(report.results[0].learning, null);
});

Deno.test("an evaluation with a search that cannot run on this device refuses before running any", async () => {
  // On llvmpipe's loop budget a local method's restart bound on Si216 does not fit one step;
  // a GPU without the budget runs it, and then there is nothing to refuse.
  if (loopBudget(gpu) === Infinity) return;
  const lines: string[] = [];
  await assert.rejects(
    runEvaluation({
      ...(await tinyOptions()),
      systems: ["LJ7", "Si216"],
      methods: ["random", "anneal"],
      replicas: 2,
      maxEvaluations: 50,
    }, { searches: localSearches(gpu), log: (line) => lines.push(line) }),
    /216 atoms are too many for the fused/,
  );
  assert.deepEqual(lines, [], "no search ran");
});

Deno.test("CLI: a bad suite or method is one line and status 2; --help is status 0", async () => {
  const permissions = ["--allow-read", "--allow-write", "--allow-env"];
  const suite = await runTaskFile("eval", permissions, ["--suite", "huge"]);
  assert.equal(suite.code, 2);
  assert.equal(suite.stderr.trim().split("\n").length, 1);
  assert.match(suite.stderr, /unknown suite 'huge'/);
  const method = await runTaskFile("eval", permissions, ["--methods", "learned,simplex"]);
  assert.equal(method.code, 2);
  assert.match(method.stderr, /--methods takes .*'simplex'/);
  const system = await runTaskFile("eval", permissions, ["--suite", "si", "--systems", "Si64,Xx9"]);
  assert.equal(system.code, 2);
  assert.equal(system.stderr.trim().split("\n").length, 1);
  assert.match(system.stderr, /Xx9/);
  const help = await runTaskFile("eval", permissions, ["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--suite NAME/);
  // An output folder that is a file, or holds a report, is refused before any GPU work.
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/file`, "");
  await Deno.writeTextFile(`${dir}/report.json`, "{}");
  for (
    const [out, pattern] of [
      [`${dir}/file`, /^error: --out .*file is a file, not a folder\n$/],
      [dir, /^error: --out .* already holds an evaluation \(report\.json\); choose another folder/],
    ]
  ) {
    const run = await runTaskFile("eval", permissions, ["--out", out as string]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, pattern as RegExp);
  }
  await Deno.remove(dir, { recursive: true });
});
