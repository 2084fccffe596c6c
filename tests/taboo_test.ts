/**
 * The taboo list (GMIN's AVOID, HoppingSettings.taboo): each replica keeps the lowest minima of
 * its stale chains, and a chain whose lowest minimum is one of them is stale at once. The kernel
 * follows the mirror in tests/optimizer_kernel_test.ts; here, the mirror's list, a search's counts
 * and the refusals.
 */
import assert from "node:assert/strict";
import { testGpu } from "./gpu.ts";
import { interruptedSearch, runTaskFile } from "./helpers.ts";
import {
  defaultLocalSettings,
  localMethod,
  type MethodSpec,
  OptimizerBatch,
  parseSystem,
  randomStructures,
  referenceContext,
  ReferenceReplica,
  type System,
  UserError,
} from "../mod.ts";
import { defaultHopping, defaultMoves } from "../src/search/defaults.ts";
import { TABOO_CAPACITY } from "../src/methods/kernel_layout.ts";
import { defaultSettings } from "../src/search/defaults.ts";
import { runSearch, type SearchOptions, searchOptions } from "../src/search/run_search.ts";
import { energyTolerance } from "../src/systems/energy_tolerance.ts";

const gpu = await testGpu();

function hoppingSpec(system: System, reseedHops: number, taboo: boolean): MethodSpec {
  return {
    local: localMethod(defaultLocalSettings("lbfgs", 0.2)),
    driver: {
      mode: "hopping",
      hopping: { ...defaultHopping(system, defaultMoves(system)), reseedHops, taboo },
    },
    containerRadius: 0,
  };
}

/** Four LJ13 replicas of basin hopping, reseeded after `reseedHops` stale hops, 4000 evaluations
 * each; every minimum at which a chain was found stale, and the replicas. */
function lj13Chains(reseedHops: number, taboo: boolean) {
  const system = parseSystem("LJ13");
  const spec = hoppingSpec(system, reseedHops, taboo);
  const n = 3 * system.nAtoms;
  const starts = randomStructures(system, 1, 4);
  return Array.from({ length: 4 }, (_, r) => {
    const replica = new ReferenceReplica(
      referenceContext(system, spec),
      starts.subarray(n * r, n * (r + 1)),
      { step: 0.1, dr: 0.36, temperature: 0.8, seed: 5 + r },
      r,
    );
    // The lowest minimum of each chain that went stale after reseedHops hops (what the list
    // saves; a chain ended by the list leaves it as it was).
    const staleBests: number[] = [];
    while (replica.evaluations < 4000) {
      const { chainBest, reseeds, tabooHits } = replica;
      replica.advance();
      if (replica.reseeds > reseeds && replica.tabooHits === tabooHits) staleBests.push(chainBest);
    }
    return { replica, staleBests };
  });
}

Deno.test("the taboo list keeps each stale chain's lowest minimum once, and ends chains that find one", () => {
  const tolerance = energyTolerance(parseSystem("LJ13"));
  const plain = lj13Chains(3, false);
  const taboo = lj13Chains(3, true);
  for (const { replica } of plain) {
    assert.equal(replica.tabooHits, 0);
    assert.deepEqual(replica.taboo, []);
  }
  for (const { replica, staleBests } of taboo) {
    assert.ok(replica.taboo.length <= TABOO_CAPACITY);
    // Distinct entries, each the lowest minimum of a chain that went stale.
    for (const [k, e] of replica.taboo.entries()) {
      assert.ok(
        staleBests.some((best) => Math.abs(best - e) < 1e-5 * Math.abs(e)),
        `entry ${e} is a stale chain's lowest minimum`,
      );
      for (const other of replica.taboo.slice(k + 1)) assert.ok(Math.abs(other - e) > tolerance);
    }
    // Every stale chain's lowest minimum is on the list (fewer than its capacity were saved).
    assert.ok(replica.tabooSaved < TABOO_CAPACITY);
    for (const best of staleBests) {
      assert.ok(replica.taboo.some((e) => Math.abs(best - e) <= tolerance), `${best} saved`);
    }
  }
  // LJ13's icosahedron (-44.326801) is where stale chains end: it is on every list.
  for (const { replica } of taboo) {
    assert.ok(replica.taboo.some((e) => Math.abs(e + 44.326801) < 1e-3), `${replica.taboo}`);
  }
  const sum = (runs: typeof plain, key: "reseeds" | "hops" | "tabooHits") =>
    runs.reduce((total, { replica }) => total + replica[key], 0);
  assert.ok(sum(taboo, "tabooHits") > 0);
  // Chains found stale at once leave sooner: more reseeds per hop than without the list.
  assert.ok(
    sum(taboo, "reseeds") / sum(taboo, "hops") > sum(plain, "reseeds") / sum(plain, "hops"),
    `${sum(taboo, "reseeds")}/${sum(taboo, "hops")} vs ${sum(plain, "reseeds")}/${
      sum(plain, "hops")
    }`,
  );
});

/** LJ13 basin hopping with reseeding after 3 stale hops and the taboo list. */
function tabooOptions(): SearchOptions {
  const system = parseSystem("LJ13");
  const settings = defaultSettings(system, "bh");
  assert.equal(settings.driver, "hopping");
  return searchOptions(system, "bh", {
    replicas: 8,
    maxEvaluations: 3000,
    seed: 3,
    syncEvery: 200,
    settings: { ...settings, hopping: { ...settings.hopping, reseedHops: 3, taboo: true } },
  });
}

Deno.test("a search with taboo lists counts their hits, and resumes as if uninterrupted", async () => {
  const options = tabooOptions();
  const whole = await runSearch(options, { gpu });
  assert.ok(whole.tabooHits! > 0 && whole.tabooHits! <= whole.reseeds!, `${whole.tabooHits}`);
  const { saved } = await interruptedSearch(gpu, options, 5);
  const resumed = await runSearch(options, { gpu, resume: saved });
  assert.equal(resumed.tabooHits, whole.tabooHits);
  assert.equal(resumed.reseeds, whole.reseeds);
  assert.deepEqual(resumed.replicaBestEnergies, whole.replicaBestEnergies);
  const plain = await runSearch(
    { ...options, settings: defaultSettings(options.system, "bh") },
    { gpu },
  );
  assert.equal(plain.tabooHits, null);
});

Deno.test("a taboo list without reseeding is refused", async () => {
  const system = parseSystem("LJ13");
  await assert.rejects(
    OptimizerBatch.create(gpu, system, 2, { spec: hoppingSpec(system, 0, true) }),
    (error) => error instanceof UserError && /a taboo list ends stale chains/.test(error.message),
  );
  const permissions = ["--allow-read", "--allow-write", "--allow-env"];
  for (
    const [args, pattern] of [
      [
        ["--system", "LJ13", "--taboo"],
        /a taboo list ends stale chains: it needs reseeding \(--reseed K\)/,
      ],
      [["--system", "LJ13", "--method", "fire", "--taboo"], /--taboo applies to bh/],
    ] as const
  ) {
    const run = await runTaskFile("search", permissions, [...args]);
    assert.equal(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
    assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
    assert.match(run.stderr, pattern);
  }
});
