/**
 * The batch as a population (src/search/population.ts): cut-and-splice children, perturbed pool
 * members, which replicas a sync reseeds, and searches that reseed from the pool deterministically
 * and resumably, every evaluation counted.
 */
import assert from "node:assert/strict";
import { testGpu } from "./gpu.ts";
import { interruptedSearch, runTaskFile } from "./helpers.ts";
import { parseSystem, randomStructure } from "../mod.ts";
import { Rng } from "../src/core/rng.ts";
import {
  cutAndSplice,
  perturbed,
  poolRound,
  populationRng,
  randomRotation,
} from "../src/search/population.ts";
import type { ArchiveEntry } from "../src/search/archive.ts";
import { defaultSettings } from "../src/search/defaults.ts";
import { runSearch, type SearchOptions, searchOptions } from "../src/search/run_search.ts";

const gpu = await testGpu();

/** The distances of each atom from the centre of x. */
function radii(x: ArrayLike<number>): number[] {
  const n = x.length / 3;
  const centre = [0, 1, 2].map((k) => {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += x[3 * i + k] / n;
    return sum;
  });
  return Array.from(
    { length: n },
    (_, i) => Math.hypot(...[0, 1, 2].map((k) => x[3 * i + k] - centre[k])),
  );
}

Deno.test("random rotations are proper rotations, and uniform: a turned axis averages to 0", () => {
  const rng = new Rng(9);
  const mean = [0, 0, 0];
  const draws = 20_000;
  for (let t = 0; t < draws; t++) {
    const m = randomRotation(rng);
    // Rows orthonormal, determinant +1.
    for (let a = 0; a < 3; a++) {
      for (let b = 0; b < 3; b++) {
        const dot = m[3 * a] * m[3 * b] + m[3 * a + 1] * m[3 * b + 1] + m[3 * a + 2] * m[3 * b + 2];
        assert.ok(Math.abs(dot - (a === b ? 1 : 0)) < 1e-12);
      }
    }
    const det = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) +
      m[2] * (m[3] * m[7] - m[4] * m[6]);
    assert.ok(Math.abs(det - 1) < 1e-12);
    for (let k = 0; k < 3; k++) mean[k] += m[3 * k + 2] / draws;
  }
  // Each component of a uniform unit vector has variance 1/3: standard error 0.004.
  for (const component of mean) assert.ok(Math.abs(component) < 0.02, `${mean}`);
});

Deno.test("cut-and-splice: the first parent's atoms above the cut, the second's below, composition kept", () => {
  const system = parseSystem("Pd19Pt19");
  const first = randomStructure(system, 1, 0);
  const second = randomStructure(system, 1, 1);
  const [rFirst, rSecond] = [radii(first), radii(second)];
  for (let trial = 0; trial < 20; trial++) {
    const child = cutAndSplice(first, second, system.species, new Rng(trial));
    assert.equal(child.length, first.length);
    // The child is in the cut's frame (both parents centred and turned): each of its atoms is
    // an atom of one parent, of its own element, at that atom's distance from its parent's
    // centre, each used once; the first parent's lie above z = 0.
    const used = [new Set<number>(), new Set<number>()];
    let fromFirst = 0;
    for (let i = 0; i < system.nAtoms; i++) {
      const r = Math.hypot(child[3 * i], child[3 * i + 1], child[3 * i + 2]);
      const match = (radii: number[], parent: number) =>
        radii.findIndex((value, j) =>
          system.species[j] === system.species[i] && !used[parent].has(j) &&
          Math.abs(value - r) < 1e-9
        );
      const a = match(rFirst, 0);
      const b = a >= 0 ? -1 : match(rSecond, 1);
      assert.ok(a >= 0 || b >= 0, `trial ${trial}: atom ${i} from neither parent`);
      if (a >= 0) {
        used[0].add(a);
        fromFirst++;
        assert.ok(child[3 * i + 2] > 0, `trial ${trial}: a first parent's atom below the cut`);
      } else used[1].add(b);
    }
    assert.ok(fromFirst > 0 && fromFirst < system.nAtoms, `trial ${trial}: ${fromFirst}`);
  }
  // The same stream, the same child.
  assert.deepEqual(
    cutAndSplice(first, second, system.species, new Rng(3)),
    cutAndSplice(first, second, system.species, new Rng(3)),
  );
});

Deno.test("perturbed members stay within +-dr of the member in every coordinate", () => {
  const member = randomStructure(parseSystem("LJ13"), 2);
  const moved = perturbed(member, 0.3, new Rng(4));
  const shifts = Array.from(moved, (v, k) => Math.abs(v - member[k]));
  assert.ok(shifts.every((d) => d <= 0.3));
  assert.ok(Math.max(...shifts) > 0.25, "the whole range is used");
});

Deno.test("a pool round reseeds the stale running replicas only, by the crossover share", () => {
  const system = parseSystem("LJ13");
  const entry = (seed: number): ArchiveEntry => ({
    energy: -40 - seed,
    positions: randomStructure(system, seed),
    species: system.species,
    count: 1,
    firstEvaluations: 1,
    replica: 0,
  });
  const replicas = {
    staleHops: [5, 1, 7, 9, 0],
    dr: [0.1, 0.2, 0.3, 0.4, 0.5],
    running: (r: number) => r !== 3,
  };
  const settings = { size: 2, crossover: 0 };
  const none = poolRound(settings, 5, [], replicas, system.species, new Rng(1));
  assert.deepEqual(none.placements, []);
  const pool = [entry(1), entry(2)];
  const round = poolRound(settings, 5, pool, replicas, system.species, new Rng(1));
  assert.deepEqual(round.placements.map((p) => p.replica), [0, 2]);
  assert.deepEqual([round.crossovers, round.perturbed], [0, 2]);
  // Crossover 0: a member moved by at most the replica's own dr.
  for (const { replica, positions } of round.placements) {
    const near = pool.some((m) =>
      m.positions.every((v, k) => Math.abs(v - positions[k]) <= replicas.dr[replica])
    );
    assert.ok(near, `replica ${replica}`);
  }
  const crossing = poolRound(
    { size: 2, crossover: 1 },
    5,
    pool,
    replicas,
    system.species,
    new Rng(1),
  );
  assert.deepEqual([crossing.crossovers, crossing.perturbed], [2, 0]);
  // One member cannot be crossed with another: it is perturbed instead.
  const single = poolRound(
    { size: 1, crossover: 1 },
    5,
    [pool[0]],
    replicas,
    system.species,
    new Rng(1),
  );
  assert.deepEqual([single.crossovers, single.perturbed], [0, 2]);
  assert.equal(populationRng(3, 5).nextUint32(), populationRng(3, 5).nextUint32());
  assert.notEqual(populationRng(3, 5).nextUint32(), populationRng(3, 6).nextUint32());
});

/** LJ13 basin hopping whose stale chains (3 hops) are reseeded from a pool of 4. */
function pooledOptions(crossover: number): SearchOptions {
  const settings = defaultSettings(parseSystem("LJ13"), "bh");
  assert.equal(settings.driver, "hopping");
  const hopping = { ...settings.hopping, reseedHops: 3, pool: { size: 4, crossover } };
  return searchOptions(parseSystem("LJ13"), "bh", {
    replicas: 8,
    maxEvaluations: 2000,
    seed: 5,
    syncEvery: 100,
    settings: { ...settings, hopping },
  });
}

Deno.test("a search reseeds stale chains from the pool: every reseed placed, counted, repeatable", async () => {
  const options = pooledOptions(0.5);
  const first = await runSearch(options, { gpu });
  const { crossovers, perturbed } = first.population!;
  assert.ok(crossovers > 0 && perturbed > 0, JSON.stringify(first.population));
  // The kernel counts each placed chain as a reseed and never reseeds on its own.
  assert.equal(first.reseeds, crossovers + perturbed);
  // Lockstep: every replica spent the budget, the placed starts' evaluations included.
  assert.equal(first.totalEvaluations, 8 * 2000);
  const second = await runSearch(options, { gpu });
  assert.deepEqual(second.population, first.population);
  assert.deepEqual(second.replicaBestEnergies, first.replicaBestEnergies);
  assert.ok(first.known!.reached, "LJ13's minimum found");
});

Deno.test("a search with a pool resumed from its saved state equals the uninterrupted one", async () => {
  const options = pooledOptions(0.5);
  const whole = await runSearch(options, { gpu });
  const { saved } = await interruptedSearch(gpu, options, 7);
  const resumed = await runSearch(options, { gpu, resume: saved });
  assert.deepEqual(resumed.replicaBestEnergies, whole.replicaBestEnergies);
  assert.deepEqual(resumed.replicaFirstHits, whole.replicaFirstHits);
  assert.equal(resumed.reseeds, whole.reseeds);
  assert.equal(resumed.totalEvaluations, whole.totalEvaluations);
  assert.deepEqual(
    resumed.trace.map(({ seconds: _s, ...point }) => point),
    whole.trace.map(({ seconds: _s, ...point }) => point),
  );
});

Deno.test("CLI: --pool needs --reseed, fits the batch, and crosses over only clusters", async () => {
  const permissions = ["--allow-read", "--allow-write", "--allow-env"];
  for (
    const [args, pattern] of [
      [
        ["--system", "LJ13", "--pool", "4"],
        /a pool reseeds stale chains: it needs reseeding \(--reseed K\)/,
      ],
      [["--system", "LJ13", "--crossover", "0.5"], /--crossover is the share of --pool's reseeds/],
      [["--system", "LJ13", "--reseed", "5", "--pool", "0"], /--pool must be an integer from 1/],
      [
        ["--system", "LJ13", "--reseed", "5", "--pool", "4", "--crossover", "1.5"],
        /--crossover must be a number from 0 to 1/,
      ],
      [
        ["--system", "LJ13", "--reseed", "5", "--pool", "32", "--replicas", "16"],
        /a pool of 32 minima is larger than the batch of 16/,
      ],
      [
        ["--system", "Si64", "--reseed", "5", "--pool", "4", "--crossover", "0.5"],
        /crossover is for clusters/,
      ],
      [["--system", "LJ13", "--method", "fire", "--pool", "4"], /--pool applies to bh/],
    ] as const
  ) {
    const run = await runTaskFile("search", permissions, [...args]);
    assert.equal(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
    assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
    assert.match(run.stderr, pattern);
  }
});
