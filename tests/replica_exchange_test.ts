/**
 * Replica exchange (src/search/replica_exchange.ts): the ladder, the Metropolis rule on the chains'
 * minima, and a search that exchanges deterministically.
 */
import assert from "node:assert/strict";
import { testGpu } from "./gpu.ts";
import { runTaskFile } from "./helpers.ts";
import { parseSystem } from "../mod.ts";
import { Rng } from "../src/core/rng.ts";
import { exchangeRng, exchangeRound, ladderTemperature } from "../src/search/replica_exchange.ts";
import { NO_ENERGY } from "../src/core/codes.ts";
import { defaultHopping, defaultMoves, defaultSettings } from "../src/search/defaults.ts";
import { runSearch, searchOptions } from "../src/search/run_search.ts";

const gpu = await testGpu();

Deno.test("ladders: rungs spaced geometrically, repeated over the batch", () => {
  const sweep = { from: 0.5, to: 4 };
  const temperatures = Array.from({ length: 8 }, (_, r) => ladderTemperature(sweep, r, 4));
  const expected = [0.5, 1, 2, 4, 0.5, 1, 2, 4];
  temperatures.forEach((t, r) => assert.ok(Math.abs(t - expected[r]) < 1e-12, `${r}: ${t}`));
  assert.equal(ladderTemperature(0.8, 5, 4), 0.8);
});

Deno.test("an exchange moves the lower minimum to the colder rung; the rule is exp(dBeta dE)", () => {
  // Replica 0 is cold (T 1) and holds a higher minimum than replica 1 (T 2): always swapped.
  const swapped = exchangeRound([1, 2], [-10, -12], 2, 0, new Rng(1));
  assert.deepEqual(swapped, { attempted: 1, swaps: [[0, 1]] });
  // The other way round, accepted with probability exp((1/1 - 1/2) (-12 + 10)) = exp(-1).
  const rng = new Rng(7);
  let accepted = 0;
  const trials = 100_000;
  for (let k = 0; k < trials; k++) {
    accepted += exchangeRound([1, 2], [-12, -10], 2, 0, rng).swaps.length;
  }
  const rate = accepted / trials;
  // Binomial standard error 0.0015: 5 of them.
  assert.ok(Math.abs(rate - Math.exp(-1)) < 0.0075, `rate ${rate}`);
  // A chain without a minimum yet is not exchanged; odd syncs pair the odd neighbours.
  assert.equal(exchangeRound([1, 2], [Math.fround(NO_ENERGY), -10], 2, 0, rng).attempted, 0);
  assert.equal(exchangeRound([1, 2], [-10, -12], 2, 1, rng).attempted, 0);
  const odd = exchangeRound([1, 2, 4, 8], [-1, -2, -9, -4], 4, 1, rng);
  assert.deepEqual(odd, { attempted: 1, swaps: [[1, 2]] });
  // The ladder is ordered by the temperatures the replicas hold now, not by their index.
  const shuffled = exchangeRound([4, 1, 2, 8], [-1, -2, -9, -4], 4, 0, rng);
  assert.deepEqual(shuffled.swaps, [[1, 2], [0, 3]]);
});

Deno.test("a search with replica exchange swaps rungs and repeats exactly", async () => {
  const system = parseSystem("LJ13");
  const settings = defaultSettings(system, "bh");
  assert.equal(settings.driver, "hopping");
  const hopping = { ...defaultHopping(system, defaultMoves(system)), exchangeRungs: 4 };
  const options = searchOptions(system, "bh", {
    replicas: 8,
    maxEvaluations: 3000,
    seed: 3,
    syncEvery: 250,
    settings: { ...settings, hopping } as typeof settings,
    sweeps: { step: 1, dr: 0.36, temperature: { from: 0.2, to: 1.6 } },
  });
  const first = await runSearch(options, { gpu });
  const second = await runSearch(options, { gpu });
  assert.ok(first.exchanges!.attempted > 0);
  assert.ok(first.exchanges!.accepted > 0, JSON.stringify(first.exchanges));
  assert.deepEqual(second.exchanges, first.exchanges);
  assert.deepEqual(second.replicaBestEnergies, first.replicaBestEnergies);
  // Without a ladder nothing is exchanged, and nothing is reported.
  const plain = await runSearch({ ...options, settings }, { gpu });
  assert.equal(plain.exchanges, null);
  assert.equal(exchangeRng(3, 5).nextUint32(), exchangeRng(3, 5).nextUint32());
});

Deno.test("CLI: --exchange needs a temperature range and at most --replicas rungs", async () => {
  const permissions = ["--allow-read", "--allow-write", "--allow-env"];
  for (
    const [args, pattern] of [
      [["--exchange", "4"], /--exchange needs --temperature LO:HI/],
      [["--exchange", "4", "--temperature", "2:1"], /--exchange needs --temperature LO:HI/],
      [["--exchange", "8", "--temperature", "0.2:2", "--replicas", "4"], /more rungs than/],
      [["--exchange", "1", "--temperature", "0.2:2"], /--exchange/],
      [["--method", "random", "--exchange", "4"], /--exchange applies to bh/],
    ] as const
  ) {
    const run = await runTaskFile("search", permissions, ["--system", "LJ13", ...args]);
    assert.equal(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
    assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
    assert.match(run.stderr, pattern);
  }
});
