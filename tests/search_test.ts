/**
 * Global search end to end on small LJ13 batches: basin hopping reaches the Cambridge Cluster
 * Database minimum and reports it re-relaxed in f64 (LJ38 minima too); the output files read back,
 * in ASE as well; runs repeat exactly; an abort or a failure still hands back (and writes) what was
 * found; the command line fails in one line on bad input and stops cleanly on Ctrl-C. The learned
 * optimizer runs from a checkpoint, through the API and the command line.
 */
import assert from "node:assert/strict";
import { testGpu } from "./gpu.ts";
import { parseSystem, parseXyz, randomStructures, referencePotential, UserError } from "../mod.ts";
import { Rng } from "../src/core/rng.ts";
import {
  ARCHITECTURE,
  biasIndex,
  initialTheta,
  OUTPUT,
  PARAMETER_COUNT,
  weightIndex,
} from "../src/learned/architecture.ts";
import { type Checkpoint, saveCheckpoint } from "../src/learned/checkpoint.ts";
import { FEATURE_NAMES } from "../src/learned/features.ts";
import {
  defaultSettings,
  defaultSweeps,
  type MethodSettings,
  sweepValue,
} from "../src/search/defaults.ts";
import { LearnedOptimizer, loadLearnedOptimizer } from "../src/learned/learned_optimizer.ts";
import { ARCHITECTURES } from "../src/learned/architectures.ts";
import { searchSummary, searchTrace, writeSearchOutputs } from "../src/search/outputs.ts";
import {
  POLISH_MAX_EVALUATIONS,
  POLISH_SLACK,
  POLISH_START_FMAX,
  refineMinima,
  refineStructure,
  reportPoint,
} from "../src/search/refine.ts";
import {
  archiveCapacity,
  energyTolerance,
  runSearch,
  type SearchOptions,
  searchOptions,
  type SearchResult,
} from "../src/search/run_search.ts";
import { icosahedron13, runTaskFile, spawnRun } from "./helpers.ts";

const gpu = await testGpu();
const LJ13 = parseSystem("LJ13");
/** Cambridge Cluster Database, LJ13 (given to 6 decimals). */
const LJ13_GLOBAL = -44.326801;
const TASK = new URL("../tasks/search.ts", import.meta.url).pathname;

function small(overrides: Partial<SearchOptions> = {}): SearchOptions {
  return searchOptions(LJ13, "bh", { replicas: 16, maxEvaluations: 1000, seed: 3, ...overrides });
}

Deno.test("sweeps spread linearly from the first replica to the last", () => {
  const sweep = { from: 0.5, to: 1.5 };
  assert.deepEqual([0, 1, 2, 3, 4].map((r) => sweepValue(sweep, r, 5)), [0.5, 0.75, 1, 1.25, 1.5]);
  assert.equal(sweepValue(sweep, 0, 1), 0.5);
  assert.equal(sweepValue(0.8, 7, 8), 0.8);
});

/** The hopping settings of a hopping method's defaults. */
function hoppingOf(settings: MethodSettings) {
  assert.equal(settings.driver, "hopping");
  if (settings.driver !== "hopping") throw new Error("not hopping");
  return settings;
}

Deno.test("defaults follow the system: LJ, bimetallic Gupta, periodic silicon", () => {
  const bh = defaultSettings(LJ13, "bh");
  const lj = defaultSweeps(LJ13, bh);
  assert.ok(Math.abs((lj.dr as number) - 0.36) < 2e-3); // Wales & Doye's 0.36 sigma
  assert.equal(lj.temperature, 0.8);
  assert.deepEqual(defaultSweeps(LJ13, defaultSettings(LJ13, "fire")), {
    step: 0.1,
    dr: 0,
    temperature: 0,
  });
  // Basin hopping: L-BFGS relaxations to 0.03, a fifth of inversion moves and the rest in thirds
  // of uniform kicks, surface moves and symmetrise moves; bimetallics a tenth of swaps.
  assert.equal(hoppingOf(bh).local.method, "lbfgs");
  assert.equal(hoppingOf(bh).hopping.hopFmax, 0.03);
  const close = (moves: Record<string, number | undefined>, expected: Record<string, number>) => {
    assert.deepEqual(Object.keys(moves).sort(), Object.keys(expected).sort());
    for (const [name, weight] of Object.entries(expected)) {
      assert.ok(Math.abs(moves[name]! - weight) < 1e-12, `${name}: ${moves[name]}`);
    }
  };
  close(hoppingOf(bh).hopping.moves, {
    uniform: 0.8 / 3,
    surface: 0.8 / 3,
    symmetrise: 0.8 / 3,
    inversion: 0.2,
  });
  close(hoppingOf(defaultSettings(parseSystem("Ag27Au28"), "bh")).hopping.moves, {
    uniform: 0.7 / 3,
    surface: 0.7 / 3,
    symmetrise: 0.7 / 3,
    inversion: 0.2,
    swap: 0.1,
  });
  const si = parseSystem("Si64");
  assert.deepEqual(hoppingOf(defaultSettings(si, "bh")).hopping.moves, {
    uniform: 0.8,
    bond_switch: 0.1,
    kick: 0.1,
  });
  const restarts = hoppingOf(defaultSettings(si, "random")).hopping;
  assert.deepEqual(restarts.moves, { restart: 1 });
  assert.equal(restarts.adaptInterval, 0);
  assert.ok(Math.abs(restarts.minDistance - 0.8 * 2.35168) < 1e-4);
  assert.equal(defaultSweeps(si, defaultSettings(si, "bh")).temperature, 0.15);
  assert.deepEqual(defaultSettings(LJ13, "learned"), {
    driver: "learned",
    fmax: 1e-3,
    containerRadius: 0,
  });
  // 1e-3 up to 25 LJ atoms, then the f32 rounding bound 4e-6 N (9 + s).
  assert.equal(energyTolerance(LJ13), 1e-3);
  assert.ok(Math.abs(energyTolerance(parseSystem("LJ38")) - 1.52e-3) < 1e-12);
  assert.ok(Math.abs(energyTolerance(si) - 3.328e-3) < 1e-12);
  // 256 MB of fingerprints: 1000 minima of LJ38, 64 of LJ1024, never fewer than kept.
  assert.equal(archiveCapacity(parseSystem("LJ38"), 20), 1000);
  assert.equal(archiveCapacity(parseSystem("LJ1024"), 20), 64);
  assert.equal(archiveCapacity(parseSystem("LJ1024"), 100), 100);
});

Deno.test("f64 re-relaxation: a perturbed icosahedron refines to the CCD energy", () => {
  const rng = new Rng(5);
  const start = icosahedron13(1.1).map((x) => x + 0.02 * (rng.uniform() - 0.5));
  const refined = refineStructure(LJ13, start);
  assert.ok(refined.converged);
  assert.ok(refined.fmax < 1e-6);
  assert.ok(Math.abs(refined.energy - LJ13_GLOBAL) < 1e-6, `${refined.energy}`);
});

Deno.test("refineMinima merges entries that refine to the same minimum", () => {
  const rng = new Rng(6);
  const minimum = refineStructure(LJ13, icosahedron13(1.1)).positions;
  // Two visits of the global minimum, translated apart, each left by the search just below its
  // hop tolerance.
  const copy = (shift: number) =>
    minimum.map((x, k) => x + (k % 3 === 0 ? shift : 0) + 1e-4 * rng.uniform());
  const entry = (positions: Float64Array, count: number, firstEvaluations: number) => ({
    energy: LJ13_GLOBAL,
    positions,
    species: LJ13.species,
    count,
    firstEvaluations,
    replica: firstEvaluations,
  });
  const merged = refineMinima(LJ13, [entry(copy(0), 3, 500), entry(copy(2), 4, 200)], {
    energyTolerance: 1e-3,
    searchFmax: 0.03,
  });
  assert.equal(merged.length, 1);
  assert.ok(merged[0].polished);
  assert.equal(merged[0].count, 7);
  assert.equal(merged[0].firstEvaluations, 200);
  assert.equal(merged[0].replica, 200);
});

Deno.test("basin hopping on LJ13 (32 replicas, 3000 evaluations) reaches the CCD minimum", async () => {
  const result = await runSearch(
    searchOptions(LJ13, "bh", { replicas: 32, maxEvaluations: 3000, seed: 1 }),
    { gpu },
  );
  assert.equal(result.stopReason, "budget");
  assert.equal(result.evaluationsPerReplica, 3000);
  assert.equal(result.totalEvaluations, 32 * 3000);
  const best = result.minima[0];
  assert.ok(Math.abs(best.energy - LJ13_GLOBAL) < 1e-6, `best ${best.energy}`);
  assert.ok(best.converged && best.fmax < 1e-6);
  assert.ok(Math.abs(best.energyF32 - LJ13_GLOBAL) < 1e-4);
  assert.equal(result.known?.kind, "putative-global");
  assert.equal(result.known?.reached, true);
  const cost = result.known!.evaluationsPerReplica!;
  assert.ok(cost > 1 && cost <= 3000, `cost ${cost}`);
  assert.ok(best.firstEvaluations >= cost, "the f32 best may not come before the goal");
  // The second-lowest LJ13 minimum (CCD list: -41.471980) is also found, and nothing between.
  assert.ok(Math.abs(result.minima[1].energy - -41.47198) < 1e-5, `${result.minima[1].energy}`);
  assert.ok(result.distinctMinima > 20);
});

Deno.test("LJ38 with every default move, hopping every few steps: results do not depend on the dispatch size", async () => {
  // llvmpipe runs 8 replicas of the lane layout under one loop counter, and their hops in
  // different passes of a dispatch add up (src/methods/dispatch_plan.ts). Planned as one hop per
  // dispatch, these dispatches had their loops cut short, and the results changed with the sync
  // interval, which sets where dispatches end.
  const system = parseSystem("LJ38");
  const settings = defaultSettings(system, "bh");
  assert.equal(settings.driver, "hopping");
  const options = (syncEvery: number) =>
    searchOptions(system, "bh", {
      replicas: 64,
      maxEvaluations: 3000,
      syncEvery,
      settings: { ...settings, hopping: { ...settings.hopping, hopFmax: 0.5 } },
    });
  const whole = await runSearch(options(256), { gpu });
  const finer = await runSearch(options(97), { gpu });
  assert.ok(whole.rejectedNonfinite.points > 0);
  assert.deepEqual(finer.rejectedNonfinite, whole.rejectedNonfinite);
  assert.deepEqual(finer.replicaBestEnergies, whole.replicaBestEnergies);
});

Deno.test("outputs: minima.xyz, summary.json and trace.json read back; runs repeat exactly", async () => {
  const first = await runSearch(small(), { gpu });
  const dir = await Deno.makeTempDir();
  const paths = await writeSearchOutputs(dir, first);
  const frames = parseXyz(await Deno.readTextFile(paths.minima), paths.minima);
  assert.equal(frames.length, first.minima.length);
  assert.ok(frames.length >= 2);
  const energies = frames.map((f) => Number(f.info.energy));
  assert.deepEqual(energies, [...energies].sort((a, b) => a - b));
  assert.deepEqual(energies, first.minima.map((m) => m.energy));
  for (const [rank, frame] of frames.entries()) {
    assert.equal(frame.symbols.length, 13);
    assert.ok(frame.symbols.every((s) => s === "X"));
    assert.equal(frame.info.rank, String(rank + 1));
    assert.ok(Number(frame.info.count) >= 1);
    // What the polish promises: a reported energy within the energy tolerance of the GPU's own
    // (f32 rounding differs between processors, so no tighter bound holds everywhere).
    assert.ok(Math.abs(Number(frame.info.energy_f32) - energies[rank]) <= energyTolerance(LJ13));
    assert.equal(frame.info.system, "LJ13");
    assert.equal(frame.info.polish_rejected, first.minima[rank].polishRejected ? "T" : "F");
  }
  const summary = JSON.parse(await Deno.readTextFile(paths.summary));
  assert.equal(summary.system, "LJ13");
  assert.equal(summary.method, "bh");
  assert.equal(summary.seed, 3);
  assert.equal(summary.replicas, 16);
  assert.equal(summary.options.temperature, 0.8);
  assert.equal(summary.options.maxStep, 0.2);
  assert.equal(typeof summary.adapter, "string");
  assert.equal(summary.bestEnergy, energies[0]);
  assert.equal(typeof summary.known.reached, "boolean");
  assert.equal(summary.known.energy, LJ13_GLOBAL);
  assert.equal(summary.distinctMinima, first.distinctMinima);
  assert.deepEqual(summary.evaluations, {
    perReplica: 1000,
    total: 16000,
    refinement: first.refinementEvaluations,
  });
  assert.deepEqual(summary.units, { energy: "epsilon", length: "sigma", force: "epsilon/sigma" });
  assert.equal(summary.replicaStatus.running + summary.replicaStatus.converged, 16);
  // Every frame carries its f64 forces, the largest of which is the reported fmax.
  for (const [rank, frame] of frames.entries()) {
    const largest = Math.max(
      ...Array.from(
        { length: 13 },
        (_, i) => Math.hypot(...frame.forces!.subarray(3 * i, 3 * i + 3)),
      ),
    );
    assert.ok(Math.abs(largest - first.minima[rank].fmax) <= 1e-9 + 1e-6 * largest);
  }
  assert.ok(summary.wallSeconds > 0);
  const trace = JSON.parse(await Deno.readTextFile(paths.trace));
  // Syncs after 257, 513, 769 and 1000 evaluations per replica.
  assert.deepEqual(trace.points.map((p: { evaluations: number }) => p.evaluations), [
    257,
    513,
    769,
    1000,
  ]);
  const bests = trace.points.map((p: { bestEnergy: number }) => p.bestEnergy);
  assert.deepEqual(bests, [...bests].sort((a, b) => b - a), "the best energy never rises");
  await Deno.remove(dir, { recursive: true });

  const second = await runSearch(small(), { gpu });
  assert.deepEqual(repeatable(second), repeatable(first));
});

/** Python with ASE, where installed (python3-ase), to read minima.xyz as users will. */
const PYTHON = "/usr/bin/python3";
const hasAse = await new Deno.Command(PYTHON, { args: ["-c", "import ase.io"] }).output()
  .then((out) => out.success, () => false);

Deno.test({
  name: "ASE reads minima.xyz: X atoms, energies lowest first, forces, count in atoms.info",
  ignore: !hasAse,
  fn: async () => {
    const result = await runSearch(small(), { gpu });
    const dir = await Deno.makeTempDir();
    const paths = await writeSearchOutputs(dir, result);
    const script = "import ase.io, json, sys; frames = ase.io.read(sys.argv[1], index=':'); " +
      "print(json.dumps([[a.get_chemical_symbols()[0], len(a), a.get_potential_energy(), " +
      "int(a.info['count']), a.get_forces().ravel().tolist()] for a in frames]))";
    const out = await new Deno.Command(PYTHON, { args: ["-c", script, paths.minima] }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const frames = JSON.parse(new TextDecoder().decode(out.stdout));
    assert.deepEqual(
      frames.map((f: unknown[]) => f.slice(0, 4)),
      result.minima.map((m) => ["X", 13, m.energy, m.count]),
    );
    // ASE's get_forces() gives the f64 forces of each reported point, without recomputing.
    frames.forEach((frame: [string, number, number, number, number[]], k: number) => {
      const forces = result.minima[k].forces;
      frame[4].forEach((f, i) => assert.ok(Math.abs(f - forces[i]) <= 1e-9 * (1 + Math.abs(f))));
    });
    await Deno.remove(dir, { recursive: true });
  },
});

/** Summary and trace without what may differ between identical runs (time, adapter). */
function repeatable(result: SearchResult) {
  const { wallSeconds: _w, adapter: _a, ...summary } = searchSummary(result);
  const points = searchTrace(result).points.map(({ seconds: _s, ...point }) => point);
  return { summary, points };
}

Deno.test("an abort after the first sync ends the run early, with its minima", async () => {
  const controller = new AbortController();
  let calls = 0;
  const result = await runSearch(small({ maxEvaluations: 100_000 }), {
    gpu,
    signal: controller.signal,
    onProgress: () => {
      calls++;
      controller.abort();
    },
  });
  assert.equal(calls, 1);
  assert.equal(result.stopReason, "interrupted");
  assert.equal(result.evaluationsPerReplica, 257);
  assert.equal(result.trace.length, 1);
  assert.ok(result.minima.length > 0);
  const dir = await Deno.makeTempDir();
  const paths = await writeSearchOutputs(dir, result);
  assert.equal(JSON.parse(await Deno.readTextFile(paths.summary)).stopReason, "interrupted");
  assert.equal(parseXyz(await Deno.readTextFile(paths.minima)).length, result.minima.length);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("an exception after the start ends the run as failed, with its minima", async () => {
  const result = await runSearch(small(), {
    gpu,
    onProgress: (p) => {
      if (p.evaluations > 300) throw new Error("disk full");
    },
  });
  assert.equal(result.stopReason, "failed");
  assert.equal((result.error as Error).message, "disk full");
  assert.equal(result.trace.length, 2);
  assert.ok(result.minima.length > 0);
  assert.equal(searchSummary(result).error, "disk full");
});

Deno.test("local methods stop when every replica has converged", async () => {
  const result = await runSearch(
    searchOptions(LJ13, "fire", { replicas: 16, maxEvaluations: 100_000 }),
    { gpu },
  );
  assert.equal(result.stopReason, "all-stopped");
  assert.ok(result.evaluationsPerReplica < 2000, `${result.evaluationsPerReplica}`);
  const found = result.minima.reduce((sum, m) => sum + m.count, 0);
  assert.equal(found, 16, "each replica reports its one minimum");
});

Deno.test("every LJ38 minimum FIRE finds on the GPU polishes to fmax < 1e-6 in f64", async () => {
  const result = await runSearch(
    searchOptions(parseSystem("LJ38"), "fire", { replicas: 16, maxEvaluations: 2000 }),
    { gpu },
  );
  const polished = result.minima.filter((m) => m.polished);
  assert.ok(polished.length >= 5);
  for (const m of polished) {
    assert.ok(m.converged && m.fmax < 1e-6, `fmax ${m.fmax}`);
    assert.ok(m.evaluations <= POLISH_MAX_EVALUATIONS);
    assert.ok(Math.abs(m.energy - m.energyF32) < 1.5e-3, `${m.energy} vs ${m.energyF32}`);
  }
  // Replicas the budget stopped mid-relaxation are reported where they were: above the tolerance.
  for (const m of result.minima.filter((m) => !m.polished)) {
    assert.ok(!m.converged && m.fmax > POLISH_SLACK * 1e-3, `fmax ${m.fmax}`);
    assert.equal(m.evaluations, m.count);
  }
  const spent = result.minima.reduce((total, m) => total + m.evaluations, 0);
  assert.equal(result.refinementEvaluations, spent);
});

Deno.test("a 10-evaluation search reports its unfinished point, not the minimum it never reached", async () => {
  const result = await runSearch(
    searchOptions(LJ13, "bh", {
      replicas: 4,
      maxEvaluations: 10,
      sweeps: { ...small().sweeps, temperature: 0 },
    }),
    { gpu },
  );
  assert.equal(result.distinctMinima, 0);
  const best = result.minima[0];
  assert.equal(best.polished, false);
  assert.equal(best.converged, false);
  assert.ok(best.fmax > 1, `fmax ${best.fmax}`);
  // The f64 energy of the very point the GPU evaluated (f32 rounding apart), far above -44.33.
  assert.ok(Math.abs(best.energy - best.energyF32) < 1e-4, `${best.energy} vs ${best.energyF32}`);
  assert.ok(best.energy > LJ13_GLOBAL + 5);
  assert.equal(result.refinementEvaluations, result.minima.length);
  const f64 = referencePotential(LJ13.potential)({
    positions: best.positions,
    species: LJ13.species,
  });
  assert.equal(best.energy, f64.energy);
});

Deno.test("reportPoint polishes a point below the search's force tolerance and no other", () => {
  const minimum = refineStructure(LJ13, icosahedron13(1.1)).positions;
  const rng = new Rng(8);
  const near = minimum.map((x) => x + 1e-4 * (rng.uniform() - 0.5));
  const far = minimum.map((x) => x + 0.05 * (rng.uniform() - 0.5));
  const point = (searchFmax: number, searchEnergy = LJ13_GLOBAL) => ({
    searchFmax,
    searchEnergy,
    energyTolerance: 1e-3,
  });
  const polished = reportPoint(LJ13, near, LJ13.species, point(0.03));
  assert.ok(polished.polished && polished.converged && !polished.polishRejected);
  assert.ok(polished.evaluations > 1 && polished.evaluations <= POLISH_MAX_EVALUATIONS);
  assert.ok(Math.abs(polished.energy - LJ13_GLOBAL) < 1e-6);
  const asFound = reportPoint(LJ13, far, LJ13.species, point(0.03));
  assert.equal(asFound.polished, false);
  assert.equal(asFound.evaluations, 1);
  assert.ok(asFound.fmax > POLISH_SLACK * 0.03);
  assert.ok(asFound.energy > LJ13_GLOBAL + 0.01);
  // A loose tolerance (--hop-fmax 5, --fmax 1e5) does not make the polish finish the search:
  // nothing above POLISH_START_FMAX is polished, whatever the search's own tolerance.
  for (const searchFmax of [5, 1e5]) {
    const loose = reportPoint(LJ13, far, LJ13.species, point(searchFmax));
    assert.ok(asFound.fmax > POLISH_START_FMAX);
    assert.deepEqual(
      [loose.polished, loose.converged, loose.evaluations, loose.energy],
      [false, false, 1, asFound.energy],
    );
  }
});

Deno.test("reportPoint discards a polish that ends further below the search's energy than the tolerance", () => {
  const minimum = refineStructure(LJ13, icosahedron13(1.1)).positions;
  const rng = new Rng(9);
  const near = minimum.map((x) => x + 1e-4 * (rng.uniform() - 0.5));
  const asFound = referencePotential(LJ13.potential)({ positions: near, species: LJ13.species });
  // The search saw this point at an energy 0.01 above what the polish reaches: the polish went
  // on to a minimum the search never reached, so the point is reported as the search left it.
  const searchEnergy = LJ13_GLOBAL + 0.01;
  const rejected = reportPoint(LJ13, near, LJ13.species, {
    searchFmax: 0.03,
    searchEnergy,
    energyTolerance: 1e-3,
  });
  assert.equal(rejected.polishRejected, true);
  assert.equal(rejected.polished, false);
  assert.equal(rejected.converged, false);
  // The f64 energy of the very point the search left (reported recentred, not moved).
  assert.equal(rejected.energy, asFound.energy);
  assert.ok(rejected.evaluations > 2, "the discarded polish's evaluations are counted");
  // Within the tolerance of the search's energy, the same polish is kept.
  const kept = reportPoint(LJ13, near, LJ13.species, {
    searchFmax: 0.03,
    searchEnergy: LJ13_GLOBAL + 5e-4,
    energyTolerance: 1e-3,
  });
  assert.ok(kept.polished && !kept.polishRejected);
});

Deno.test("a discarded polish that ends at a minimum another point's polish reached is kept", () => {
  const minimum = refineStructure(LJ13, icosahedron13(1.1)).positions;
  const rng = new Rng(10);
  const near = () => minimum.map((x) => x + 1e-4 * (rng.uniform() - 0.5));
  const entry = (energy: number, replica: number) => ({
    energy,
    positions: near(),
    species: LJ13.species,
    count: 1,
    firstEvaluations: 100 + replica,
    replica,
  });
  const tolerances = { energyTolerance: 1e-3, searchFmax: 0.03 };
  // Seen by the search 0.01 above the minimum: alone, its polish is discarded ...
  const [alone] = refineMinima(LJ13, [entry(LJ13_GLOBAL + 0.01, 1)], tolerances);
  assert.ok(alone.polishRejected && !alone.polished);
  // ... but another replica reached that very minimum: then it was a minimum the search reached.
  const merged = refineMinima(
    LJ13,
    [entry(LJ13_GLOBAL, 0), entry(LJ13_GLOBAL + 0.01, 1)],
    tolerances,
  );
  assert.equal(merged.length, 1);
  assert.ok(merged[0].polished && !merged[0].polishRejected);
  assert.equal(merged[0].count, 2);
  assert.ok(Math.abs(merged[0].energy - LJ13_GLOBAL) < 1e-6);
});

Deno.test("--target and --stop-at-known stop the search, reporting what reached them", async () => {
  const target = await runSearch(small({ maxEvaluations: 100_000, target: -41.4 }), { gpu });
  assert.equal(target.stopReason, "target");
  assert.equal(target.target?.reached, true);
  assert.ok(target.evaluationsPerReplica < 100_000);
  assert.ok(target.minima[0].energy <= -41.4 + 1e-3);
  // Stopped at once, the replica that got there may still be relaxing: its best point is
  // reported (polished only if the search had brought it below the hop tolerance), and it is
  // within the tolerance of the minimum in f64 too.
  for (const seed of [1, 3]) {
    const options = { replicas: 8, maxEvaluations: 100_000, stopAtKnown: true, seed, syncEvery: 2 };
    const known = await runSearch(searchOptions(LJ13, "bh", options), { gpu });
    assert.equal(known.stopReason, "known");
    const best = known.minima[0];
    assert.ok(best.energy <= LJ13_GLOBAL + 1e-3, `${best.energy}`);
    if (best.polished) assert.ok(Math.abs(best.energy - LJ13_GLOBAL) < 1e-6, `${best.energy}`);
  }
});

function search(...args: string[]) {
  return runTaskFile("search", ["--allow-read", "--allow-write", "--allow-env"], args);
}

Deno.test("CLI: bad system or method is one line and status 2; --help is status 0", async () => {
  for (
    const [args, message] of [
      [["--system", "Xx13"], /^error: system 'Xx13': unknown element 'Xx'/],
      [["--system", "LJ13", "--method", "nope"], /^error: --method must be one of/],
      [["--system", "LJ13", "--target", "-44"], /^error: .*--target=-XYZ/],
      [["--system", "LJ13", "--local", "bfgs"], /^error: --local must be one of gd, adam, fire/],
      [["--system", "LJ13", "--moves", "uniform,jump"], /^error: --moves takes NAME\[=WEIGHT\]/],
      [["--system", "LJ13", "--moves", "uniform=0,surface=0"], /^error: the move weights must sum/],
      [["--system", "LJ13", "--moves", "surface=-1"], /^error: --moves: the weight of surface/],
      [["--system", "LJ13", "--history", "0"], /^error: --history must be an integer from 1/],
      [
        ["--system", "LJ13", "--history", "1000"],
        /^error: --history must be an integer from 1 to 32/,
      ],
      [
        ["--system", "LJ13", "--local", "fire", "--history", "4"],
        /^error: --history applies to L-BFGS/,
      ],
      [
        ["--system", "Si64", "--moves", "uniform,surface"],
        /^error: surface moves need a cluster's outer shell; a periodic box has none \(Si64\); choose other moves \(--moves\)$/m,
      ],
      [
        ["--system", "LJ13", "--moves", "swap"],
        /^error: swap moves need two elements \(LJ13\); choose other moves \(--moves\)$/m,
      ],
      [
        ["--system", "Si64", "--moves", "uniform,symmetrise"],
        /^error: symmetrise moves need a cluster's centre; a periodic box has none \(Si64\); choose other moves \(--moves\)$/m,
      ],
      [["--system", "Si64", "--exchange", "4"], /^error: --exchange needs --temperature LO:HI/],
      [
        ["--system", "LJ13", "--method", "fire", "--moves", "uniform"],
        /^error: --moves applies to bh/,
      ],
      [["--system", "LJ13", "--hop-fmax", "0"], /^error: --hop-fmax must be/],
    ] as const
  ) {
    const { code, stderr } = await search(...args);
    assert.equal(code, 2);
    assert.equal(stderr.trim().split("\n").length, 1, stderr);
    assert.match(stderr, message);
  }
  const help = await search("--help");
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--max-evals N/);
});

Deno.test("CLI: --layout names a layout; a system too large for it is one error line naming the limit", async () => {
  const bad = await search("--system", "LJ13", "--layout", "warp");
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^error: --layout: unknown layout 'warp'; use lane or workgroup\n$/);
  const { isSoftware } = gpu;
  const cases: [string[], RegExp][] = [
    // 1,024 Si atoms' neighbour lists exceed any adapter's workgroup memory.
    [["Si1024", "workgroup"], /maxComputeWorkgroupStorageSize of [\d.]+ KiB/],
  ];
  if (isSoftware) {
    // llvmpipe's loop budget: 400 atoms' pairs in one invocation.
    cases.push([
      ["LJ400", "lane"],
      /in the lane layout .* of llvmpipe's 55000; try --layout workgroup/,
    ]);
  }
  for (const [[system, layout], message] of cases) {
    const dir = await Deno.makeTempDir();
    const out = `${dir}/out`;
    const run = await search(
      "--system",
      system,
      "--method",
      "fire",
      "--layout",
      layout,
      "--out",
      out,
      "--max-evals",
      "100",
    );
    await Deno.remove(dir, { recursive: true });
    assert.equal(run.code, 2, run.stderr);
    const errors = run.stderr.split("\n").filter((line) => line.startsWith("error:"));
    assert.equal(errors.length, 1, run.stderr);
    assert.match(errors[0], message);
    assert.doesNotMatch(run.stderr, /\n\s+at /, "no stack trace");
  }
});

Deno.test("CLI: a run prints the report and --json the summary; SIGINT stops it cleanly", async () => {
  const dir = await Deno.makeTempDir();
  const done = await search(
    ...["--system", "LJ13", "--replicas", "16", "--max-evals", "600", "--out", dir, "--json"],
  );
  assert.equal(done.code, 0, done.stderr);
  const summary = JSON.parse(done.stdout);
  assert.equal(summary.evaluations.perReplica, 600);
  assert.match(done.stderr, /evals\/replica 600\/600 \(100%\)/);
  const again = await search("--system", "LJ13", "--out", dir);
  assert.equal(again.code, 2);
  assert.equal(
    again.stderr,
    `error: --out ${dir} already holds a search (state.safetensors); choose another folder, or ` +
      `continue that one (if it was stopped before its end: deno task search --resume ${dir})\n`,
  );

  await Deno.remove(dir, { recursive: true });
  const run = spawnRun(Deno.execPath(), [
    ...["run", "--allow-read", "--allow-write", "--allow-env", TASK, "--system", "LJ13"],
    ...["--replicas", "16", "--max-evals", "1e8", "--out", dir],
  ]);
  await run.progress(1);
  run.child.kill("SIGINT");
  const { code, stdout } = await run.finish();
  assert.equal(code, 130);
  assert.match(stdout, /stopped: interrupted/);
  const interrupted = JSON.parse(await Deno.readTextFile(`${dir}/summary.json`));
  assert.equal(interrupted.stopReason, "interrupted");
  assert.ok(interrupted.evaluations.perReplica < 1e8);
  assert.ok(parseXyz(await Deno.readTextFile(`${dir}/minima.xyz`)).length > 0);
  await Deno.remove(dir, { recursive: true });
});

/** A checkpoint of `theta` as meta-training writes one (fresh outer state, `config` as given). */
async function writeCheckpoint(path: string, theta: Float32Array, config: unknown = {}) {
  const checkpoint: Checkpoint = {
    theta,
    optimizer: {
      m: new Float32Array(PARAMETER_COUNT),
      v: new Float32Array(PARAMETER_COUNT),
      step: 0,
    },
    outerStep: 0,
    rngState: Uint32Array.of(1, 2, 3, 4),
    architecture: ARCHITECTURE,
    features: [...FEATURE_NAMES],
    config,
    projectVersion: "test",
  };
  await saveCheckpoint(path, checkpoint);
}

/**
 * Weights that make the learned optimizer gradient descent, x += eta F with eta = `rate` STEP_SCALE
 * bond lengths per unit force: every step is STEP_SCALE bond exp(s) F / rms(F), so s must be
 * ln(rate rms(F)). The network sees u = tanh(log10(rms F) / 2); nine hidden units relu(u - u_k)
 * at rms(F) = 1e-6 .. 1e2 interpolate s linearly in u between those knots, the second layer passes
 * them on, the momentum term is off and the noise negligible. The untrained `initialTheta` takes
 * normalised steps of a fixed length instead, which circle a minimum at forces of order 1 and so
 * never settle below fmax; this one converges (on LJ13 rate 0.5 is already unstable).
 */
function gradientDescentTheta(rate: number): Float32Array {
  const theta = new Float32Array(PARAMETER_COUNT);
  const decades = [-6, -5, -4, -3, -2, -1, 0, 1, 2];
  const u = decades.map((d) => Math.tanh(d / 2));
  const s = decades.map((d) => d * Math.LN10 + Math.log(rate));
  let slope = 0;
  for (let k = 0; k < decades.length; k++) {
    theta[weightIndex(0, k, 1)] = 1; // input 1: tanh(log10(rms(force)) / 2)
    theta[biasIndex(0, k)] = -u[k];
    theta[weightIndex(1, k, k)] = 1;
    const next = k + 1 < decades.length ? (s[k + 1] - s[k]) / (u[k + 1] - u[k]) : slope;
    theta[weightIndex(2, OUTPUT.logStep, k)] = next - slope;
    slope = next;
  }
  theta[biasIndex(2, OUTPUT.logStep)] = s[0];
  theta[biasIndex(2, OUTPUT.forceCoefficient)] = 1;
  theta[biasIndex(2, OUTPUT.logNoise)] = -12;
  return theta;
}

/** The lowest f64 energy among the random starts of `replicas` replicas for `seed`. */
function lowestStart(seed: number, replicas: number): number {
  const energy = referencePotential(LJ13.potential);
  const starts = randomStructures(LJ13, seed, replicas);
  const n = 3 * LJ13.nAtoms;
  let lowest = Infinity;
  for (let r = 0; r < replicas; r++) {
    const positions = starts.subarray(r * n, (r + 1) * n);
    lowest = Math.min(lowest, energy({ positions, species: LJ13.species }).energy);
  }
  return lowest;
}

Deno.test("learned optimizer from a checkpoint on LJ13: minima logged, outputs written", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/gd.safetensors`;
  await writeCheckpoint(path, gradientDescentTheta(0.25), { maxStep: 0.2 });
  const learned = await loadLearnedOptimizer(path);
  assert.deepEqual(learned.weights, gradientDescentTheta(0.25));
  assert.equal(learned.maxStepBondLengths, 0.2);
  const options = searchOptions(LJ13, "learned", {
    replicas: 16,
    maxEvaluations: 500,
    seed: 3,
    learned,
    checkpoint: path,
  });
  const result = await runSearch(options, { gpu });
  assert.equal(result.stopReason, "budget", "the learned optimizer never stops early");
  assert.equal(result.evaluationsPerReplica, 500);
  assert.ok(result.distinctMinima > 0, "minima are logged as the replicas settle");
  const best = result.minima[0];
  assert.ok(Number.isFinite(best.energy) && best.converged);
  const start = lowestStart(3, 16);
  assert.ok(best.energy < start - 5, `best ${best.energy}, lowest start ${start}`);
  assert.ok(result.trace.every((p) => p.bestEnergy !== null && p.bestEnergy < start));

  const paths = await writeSearchOutputs(dir, result);
  const summary = JSON.parse(await Deno.readTextFile(paths.summary));
  assert.equal(summary.method, "learned");
  assert.equal(summary.checkpoint, path);
  assert.deepEqual(summary.options.settings, { driver: "learned", fmax: 1e-3, containerRadius: 0 });
  assert.equal(summary.distinctMinima, result.distinctMinima);
  const frames = parseXyz(await Deno.readTextFile(paths.minima), paths.minima);
  assert.equal(frames.length, result.minima.length);
  assert.equal(Number(frames[0].info.energy), best.energy);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("CLI: --method learned with an untrained checkpoint runs and reports minima", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/initial.safetensors`;
  await writeCheckpoint(path, initialTheta(1), { maxStep: 0.25 });
  const args = ["--system", "LJ13", "--method", "learned", "--checkpoint", path, "--seed", "3"];
  const run = await search(
    ...args,
    ...["--replicas", "16", "--max-evals", "500", "--out", `${dir}/out`, "--json"],
  );
  assert.equal(run.code, 0, run.stderr);
  const summary = JSON.parse(run.stdout);
  assert.equal(summary.method, "learned");
  assert.equal(summary.checkpoint, path);
  assert.equal(summary.stopReason, "budget");
  // The untrained optimizer circles its minima (see gradientDescentTheta) and never logs one:
  // its 16 best points are reported as they are, one f64 evaluation each.
  assert.deepEqual(summary.evaluations, { perReplica: 500, total: 8000, refinement: 16 });
  // The checkpoint's training step cap, in bond lengths, unless --max-step says otherwise.
  assert.ok(Math.abs(summary.options.maxStep - 0.25 * LJ13.bondLength) < 1e-12);
  assert.ok(summary.minima.length > 0);
  assert.ok(summary.minima.every((m: { polished: boolean }) => !m.polished));
  assert.ok(Number.isFinite(summary.bestEnergy));
  assert.ok(summary.bestEnergy < lowestStart(3, 16) - 5, `best ${summary.bestEnergy}`);
  const written = JSON.parse(await Deno.readTextFile(`${dir}/out/summary.json`));
  assert.equal(written.checkpoint, path);
  assert.ok(parseXyz(await Deno.readTextFile(`${dir}/out/minima.xyz`)).length > 0);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("CLI: a missing, truncated or misplaced --checkpoint is one line and status 2", async () => {
  const dir = await Deno.makeTempDir();
  const good = `${dir}/good.safetensors`;
  await writeCheckpoint(good, initialTheta(1));
  const truncated = `${dir}/truncated.safetensors`;
  await Deno.writeFile(truncated, (await Deno.readFile(good)).subarray(0, 200));
  const lj13 = ["--system", "LJ13"];
  for (
    const [args, message] of [
      [[...lj13, "--method", "learned"], /^error: --method learned needs --checkpoint FILE/],
      [
        [...lj13, "--method", "learned", "--checkpoint", `${dir}/none.safetensors`],
        /^error: .*none\.safetensors \(a checkpoint\): no such file\n$/,
      ],
      [
        [...lj13, "--method", "learned", "--checkpoint", truncated],
        /^error: .*truncated\.safetensors \(a checkpoint\): truncated/,
      ],
      [[...lj13, "--method", "learned", "--checkpoint="], /^error: the checkpoint's path is empty/],
      [
        [...lj13, "--method", "learned", "--checkpoint", dir],
        /^error: .* \(a checkpoint\): a folder, not a file\n$/,
      ],
      [
        [...lj13, "--method", "learned", "--checkpoint", "/dev/zero"],
        /^error: \/dev\/zero \(a checkpoint\): not a regular file\n$/,
      ],
      [
        [...lj13, "--method", "bh", "--checkpoint", good],
        /^error: --checkpoint applies to learned/,
      ],
      [[...lj13, "--checkpoint", good], /^error: --checkpoint applies to learned, not --method bh/],
      [
        [...lj13, "--method", "learned", "--checkpoint", good, "--dr", "0.3"],
        /^error: --dr applies to bh, not --method learned/,
      ],
      [
        [...lj13, "--method", "learned", "--checkpoint", good, "--step", "0.1"],
        /^error: --step applies to gd, adam, fire, lbfgs, anneal, bh and random, not --method learned/,
      ],
    ] as const
  ) {
    const { code, stderr } = await search(...args);
    assert.equal(code, 2, stderr);
    assert.equal(stderr.trim().split("\n").length, 1, stderr);
    assert.match(stderr, message);
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("CLI: the anneal's options belong to it, and it is not a relaxation between hops", async () => {
  const lj13 = ["--system", "LJ13"];
  for (
    const [args, message] of [
      [[...lj13, "--local", "anneal"], /^error: --local anneal: an anneal is a whole search/],
      [
        [...lj13, "--anneal-steps", "100"],
        /^error: --anneal-steps applies to anneal, not --method bh/,
      ],
      [
        [...lj13, "--method", "anneal", "--anneal-steps", "0"],
        /^error: --anneal-steps must be an integer from 1/,
      ],
      [
        [...lj13, "--method", "anneal", "--dr", "0.3"],
        /^error: --dr applies to bh, not --method anneal/,
      ],
    ] as const
  ) {
    const { code, stderr } = await search(...args);
    assert.equal(code, 2, stderr);
    assert.equal(stderr.trim().split("\n").length, 1, stderr);
    assert.match(stderr, message);
  }
});

Deno.test("runSearch refuses the learned method without weights, and weights elsewhere", async () => {
  const architecture = ARCHITECTURES["per-atom-mlp"];
  const theta = initialTheta(1);
  assert.throws(() => new LearnedOptimizer(architecture, theta.subarray(1)), UserError);
  const learned = new LearnedOptimizer(architecture, theta);
  const cases = [
    searchOptions(LJ13, "learned", { replicas: 2 }),
    searchOptions(LJ13, "bh", { replicas: 2, learned }),
  ];
  for (const options of cases) {
    await assert.rejects(runSearch(options, { gpu }), UserError);
  }
});
