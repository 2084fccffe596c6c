/**
 * The hard suite (src/eval/hard.ts): GMIN's published LJ38 runs as the anchor, the two views (per
 * run, per batch) computed from real searches, GMIN's run script read back, and the command's
 * mistakes.
 */
import assert from "node:assert/strict";
import { testGpu } from "./gpu.ts";
import { runTaskFile } from "./helpers.ts";
import { parseSystem } from "../mod.ts";
import { defaultMoves } from "../src/search/defaults.ts";
import { publishedLj38Runs, runGmin } from "../src/eval/gmin.ts";
import {
  CLASSIC_BH,
  HARD_BUDGETS,
  hardMarkdown,
  hardSearchOptions,
  INVERSION_BH,
  POPULATION_BH,
  POPULATION_POOL,
  POPULATION_RESEED,
  runHardEvaluation,
  secondsAt,
} from "../src/eval/hard.ts";
import { localSearches } from "../src/eval/search_runner.ts";
import type { SearchResult } from "../src/search/run_search.ts";

const gpu = await testGpu();

Deno.test("GMIN's published LJ38 runs give its table: 6/13/31%, 35/60/78%, 99/100/100%", () => {
  const runs = publishedLj38Runs();
  const within = (mode: keyof typeof runs, budget: number) =>
    runs[mode].filter((run) => run.calls! <= budget).length;
  for (const mode of ["basic", "symmetrise", "csm"] as const) assert.equal(runs[mode].length, 100);
  assert.deepEqual([2e4, 5e4, 1e5].map((b) => within("basic", b)), [6, 13, 31]);
  assert.deepEqual([2e4, 5e4, 1e5].map((b) => within("symmetrise", b)), [35, 60, 78]);
  assert.deepEqual([2e4, 5e4, 1e5].map((b) => within("csm", b)), [99, 100, 100]);
  // GMIN's example: the CSM runs' mean is 4,090 calls.
  const mean = runs.csm.reduce((sum, run) => sum + run.calls!, 0) / 100;
  assert.ok(Math.abs(mean - 4090) < 1, `mean ${mean}`);
});

Deno.test("bh-classic is basin hopping's mix before the symmetrise and inversion moves", () => {
  const moves = (system: string) => {
    const settings = hardSearchOptions(parseSystem(system), CLASSIC_BH, {}).settings;
    assert.equal(settings.driver, "hopping");
    return settings.driver === "hopping" ? settings.hopping.moves : {};
  };
  assert.deepEqual(moves("LJ38"), { uniform: 0.5, surface: 0.5 });
  const alloy = moves("Pd19Pt19");
  assert.ok(Math.abs(alloy.uniform! - 0.45) < 1e-12 && Math.abs(alloy.surface! - 0.45) < 1e-12);
  assert.equal(alloy.swap, 0.1);
  assert.equal(alloy.symmetrise, undefined);
  assert.deepEqual(moves("Si64"), { uniform: 1 });
});

Deno.test("bh-inversion: 60% inversion moves at 1.5x the temperature, the rest in default shares", () => {
  const options = hardSearchOptions(parseSystem("LJ38"), INVERSION_BH, { replicas: 16 });
  assert.equal(options.settings.driver, "hopping");
  const moves = options.settings.driver === "hopping" ? options.settings.hopping.moves : {};
  assert.equal(moves.inversion, 0.6);
  const rest = Object.entries(moves).filter(([name]) => name !== "inversion");
  const sum = rest.reduce((total, [, weight]) => total + weight!, 0);
  assert.ok(Math.abs(sum - 0.4) < 1e-12, `${sum}`);
  // LJ's default temperature 0.8 (epsilon), times 1.5.
  assert.ok(Math.abs((options.sweeps.temperature as number) - 1.2) < 1e-12);
  // A periodic box has no centre: default basin hopping.
  const si = hardSearchOptions(parseSystem("Si64"), INVERSION_BH, {}).settings;
  assert.ok(si.driver === "hopping" && si.hopping.moves.inversion === undefined);
});

Deno.test("bh-pool is default basin hopping reseeding stale chains from a pool within the batch", () => {
  const hopping = (system: string, replicas: number) => {
    const settings = hardSearchOptions(parseSystem(system), POPULATION_BH, { replicas }).settings;
    assert.equal(settings.driver, "hopping");
    return settings.driver === "hopping" ? settings.hopping : undefined;
  };
  const lj = hopping("LJ38", 16)!;
  assert.deepEqual(lj.moves, defaultMoves(parseSystem("LJ38")));
  assert.equal(lj.reseedHops, POPULATION_RESEED);
  assert.deepEqual(lj.pool, { size: POPULATION_POOL, crossover: 0.5 });
  // Never larger than the batch; no crossover in a periodic box.
  assert.equal(hopping("LJ38", 4)!.pool!.size, 4);
  assert.equal(hopping("Si64", 16)!.pool!.crossover, 0);
});

Deno.test("the time of the first hit is interpolated between the syncs around it", () => {
  const point = (evaluations: number, seconds: number) => ({
    evaluations,
    seconds,
    bestEnergy: null,
    replicaBest: null,
    knownReachedFraction: null,
    distinctMinima: 0,
  });
  const result = { trace: [point(100, 1), point(300, 2), point(500, 4)] } as SearchResult;
  assert.equal(secondsAt(result, 50), 0.5);
  assert.equal(secondsAt(result, 200), 1.5);
  assert.equal(secondsAt(result, 450), 3.5);
});

Deno.test("hard evaluation on LJ13: per-run shares and per-batch work follow the searches", async () => {
  const replicas = 8;
  const maxEvaluations = 20_000;
  const seeds = [4, 5];
  const logged: string[] = [];
  const report = await runHardEvaluation(
    { systems: [parseSystem("LJ13")], methods: ["bh"], replicas, maxEvaluations, seeds },
    localSearches(gpu),
    { log: (line) => logged.push(line) },
  );
  const [system] = report.systems;
  assert.equal(system.reference.energy, -44.326801);
  assert.equal(system.rows.length, 1, "no GMIN rows: not LJ38, and no --gmin");
  const row = system.rows[0];
  assert.equal(row.runs, replicas * seeds.length);
  assert.equal(row.batches, 2);
  // Only the budgets the replicas were given are reported.
  assert.deepEqual(row.within.map((w) => w === null), HARD_BUDGETS.map((b) => b > maxEvaluations));
  assert.equal(logged.length, 2);
  // The same searches run again give the per-batch work: replicas x the first hitter's count.
  const { runSearch, searchOptions } = await import("../src/search/run_search.ts");
  const works: number[] = [];
  let hits = 0;
  let rejected = 0;
  for (const seed of seeds) {
    const result = await runSearch(
      searchOptions(parseSystem("LJ13"), "bh", { replicas, maxEvaluations, seed }),
      { gpu },
    );
    const first = result.known!.evaluationsPerReplica;
    works.push(first === null ? Infinity : first * replicas);
    hits += result.replicaFirstHits!.filter((h) => h <= 2e4).length;
    rejected += result.rejectedNonfinite.points;
  }
  assert.equal(row.batchesReached, works.filter(Number.isFinite).length);
  assert.equal(row.batchWork.median, (works[0] + works[1]) / 2);
  assert.ok(
    row.batchesReached === 2,
    "basin hopping finds LJ13 within 20,000 evaluations per replica",
  );
  assert.ok(row.batchWork.median <= replicas * maxEvaluations);
  assert.equal(row.within[0], hits / row.runs);
  assert.equal(row.rejectedNonfinite, rejected);
  assert.ok(row.batchSeconds.median > 0 && Number.isFinite(row.batchSeconds.median));
  assert.match(hardMarkdown(report), /### LJ13: reference -44\.326801/);
});

Deno.test("GMIN's run script is read back: calls, or not reached (NA), and seconds", async () => {
  const dir = await Deno.makeTempDir();
  const script = `${dir}/run.sh`;
  // What the peer's run.sh prints (../shared/peers/gmin/ in our workspace); the arguments echoed.
  await Deno.writeTextFile(
    script,
    "#!/bin/sh\nprintf 'mode\\tatoms\\tseed\\tquenches\\tcalls\\twall_s\\n'\n" +
      'printf \'%s\\t%s\\t%s\\t26\\t2689\\t0.028\\n\' "$1" "$2" "$5"\n' +
      'printf \'%s\\t%s\\t%s\\tNA\\tNA\\t%s.000\\n\' "$1" "$2" "$5" "$6"\n',
  );
  await Deno.chmod(script, 0o755);
  const runs = await runGmin({
    script,
    mode: "csm",
    nAtoms: 38,
    target: -173.928427,
    runs: 2,
    firstSeed: 42,
    timeoutSeconds: 7,
  });
  assert.deepEqual(runs, [{ calls: 2689, seconds: 0.028 }, { calls: null, seconds: 7 }]);
  await assert.rejects(
    runGmin({
      script,
      mode: "csm",
      nAtoms: 38,
      target: -173.928427,
      runs: 3,
      firstSeed: 42,
      timeoutSeconds: 7,
    }),
    /printed 2 runs of 3/,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("CLI: --suite hard's mistakes are one line and status 2, before any GPU work", async () => {
  const permissions = ["--allow-read", "--allow-write", "--allow-env", "--allow-run"];
  for (
    const [args, pattern] of [
      [["--suite", "hard", "--seeds", "0"], /--seeds/],
      [["--suite", "hard", "--gmin", "/nonexistent/run.sh"], /--gmin: no file at/],
      [["--suite", "hard", "--systems", "Au37"], /Au37 has no reference minimum/],
      [["--suite", "hard", "--methods", "fire-bh"], /--methods takes .* got 'fire-bh'/],
      [["--suite", "hard", "--gmin-runs", "3"], /--gmin-runs and --gmin-timeout go with --gmin/],
      [["--suite", "quick", "--seeds", "3"], /--seeds is for --suite hard/],
    ] as const
  ) {
    const run = await runTaskFile("eval", permissions, [...args]);
    assert.equal(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
    assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
    assert.match(run.stderr, pattern);
  }
});
