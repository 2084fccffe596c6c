/**
 * A search continued from its saved state equals the uninterrupted search (through the API and
 * through SIGTERM and --resume on the command line); a search starts from a user's structures
 * (--start); --reference counts replicas without stopping; limits and output folders are checked
 * before any GPU work.
 */
import assert from "node:assert/strict";
import { testGpu } from "./gpu.ts";
import { formatXyz, parseSystem, parseXyz } from "../mod.ts";
import { refineStructure } from "../src/search/refine.ts";
import { minimaFrames, searchSummary, searchTrace } from "../src/search/outputs.ts";
import { runSearch, searchOptions, type SearchResult } from "../src/search/run_search.ts";
import { startsFromFrames } from "../src/search/starts.ts";
import { UserError } from "../src/core/errors.ts";
import { icosahedron13, interruptedSearch, runTaskFile, spawnRun } from "./helpers.ts";

const gpu = await testGpu();
const LJ13 = parseSystem("LJ13");
/** Cambridge Cluster Database, LJ13. */
const LJ13_GLOBAL = -44.326801;
const TASK = new URL("../tasks/search.ts", import.meta.url).pathname;

/** Summary and trace without what differs between a run and its continuation (times). */
function comparable(result: SearchResult) {
  const { wallSeconds: _w, stopReason: _s, ...summary } = searchSummary(result);
  const points = searchTrace(result).points.map(({ seconds: _t, ...point }) => point);
  return JSON.parse(JSON.stringify({ summary, points }));
}

for (const method of ["bh", "fire"] as const) {
  Deno.test(`${method}: a search resumed from its saved state equals the uninterrupted one`, async () => {
    const options = searchOptions(LJ13, method, {
      replicas: 16,
      maxEvaluations: 1500,
      seed: 4,
      syncEvery: 100,
      reference: -41.4,
    });
    const whole = await runSearch(options, { gpu });
    // Interrupted after its third sync, saving its state on the way out, through bytes.
    const { result: first, saved } = await interruptedSearch(gpu, options, 3);
    assert.equal(first.stopReason, "interrupted");
    assert.equal(saved?.stopped, "interrupted");
    const resumed = await runSearch(options, { gpu, resume: saved });
    assert.deepEqual(comparable(resumed), comparable(whole));
    assert.deepEqual(resumed.replicaBestEnergies, whole.replicaBestEnergies);
    assert.deepEqual(resumed.replicaFirstHits, whole.replicaFirstHits);
  });
}

Deno.test("--reference counts the replicas that reach it without stopping the search", async () => {
  const result = await runSearch(
    searchOptions(LJ13, "bh", { replicas: 16, maxEvaluations: 2000, seed: 2, reference: -41.4 }),
    { gpu },
  );
  assert.equal(result.stopReason, "budget");
  const reference = result.reference!;
  assert.equal(reference.reached, true);
  // Every replica at or below -41.4 (+ tolerance) counts, the same as its best energy says.
  const below = Array.from(result.replicaBestEnergies).filter((e) => e <= -41.4 + 1e-3).length;
  assert.equal(reference.replicasReached, below);
  assert.ok(below >= 8, `${below}`);
  assert.equal(result.evaluationsPerReplica, 2000);
});

Deno.test("startsFromFrames: one frame for all, one per replica, atoms in any order", () => {
  const ag = parseSystem("Ag2Au2");
  const frame = {
    symbols: ["Au", "Ag", "Au", "Ag"],
    positions: Float64Array.of(0, 0, 0, 2.9, 0, 0, 0, 2.9, 0, 0, 0, 2.9),
    info: {},
  };
  const starts = startsFromFrames(ag, [frame], 3, "s.xyz");
  assert.equal(starts.length, 3 * 12);
  // The system orders Ag before Au: the file's Ag atoms (2nd and 4th) come first.
  assert.deepEqual(Array.from(starts.subarray(0, 12)), [2.9, 0, 0, 0, 0, 2.9, 0, 0, 0, 0, 2.9, 0]);
  assert.deepEqual(starts.subarray(24, 36), starts.subarray(0, 12));
  for (
    const [frames, replicas, pattern] of [
      [[frame, frame], 3, /2 frames; give one .* or one per replica \(3\)/],
      [[{ ...frame, symbols: ["Au", "Au", "Au", "Ag"] }], 1, /composition differs/],
      [[{ ...frame, symbols: ["Au", "Cu", "Au", "Ag"] }], 1, /element 'Cu' is not in Ag2Au2/],
      [[{ ...frame, box: 10 }], 1, /periodic, Ag2Au2 is a cluster/],
      [[{ ...frame, positions: new Float64Array(12) }], 1, /not finite \(overlapping atoms\?\)/],
    ] as const
  ) {
    assert.throws(
      () => startsFromFrames(ag, frames as never, replicas, "s.xyz"),
      (e: Error) => e instanceof UserError && pattern.test(e.message),
    );
  }
});

function search(...args: string[]) {
  return runTaskFile("search", ["--allow-read", "--allow-write", "--allow-env"], args);
}

Deno.test("CLI: --start from the LJ13 minimum: every FIRE replica is there at once", async () => {
  const dir = await Deno.makeTempDir();
  const minimum = refineStructure(LJ13, icosahedron13(1.1)).positions;
  await Deno.writeTextFile(
    `${dir}/start.xyz`,
    formatXyz([{ symbols: Array(13).fill("X"), positions: minimum, info: {} }]),
  );
  const run = await search(
    ...["--system", "LJ13", "--method", "fire", "--replicas", "8", "--max-evals", "100"],
    ...["--start", `${dir}/start.xyz`, "--out", `${dir}/out`, "--json"],
  );
  assert.equal(run.code, 0, run.stderr);
  const summary = JSON.parse(run.stdout);
  assert.equal(summary.start, `${dir}/start.xyz`);
  assert.equal(summary.known.replicasReached, 8);
  assert.equal(summary.known.evaluationsPerReplica, 1);
  assert.ok(Math.abs(summary.bestEnergy - LJ13_GLOBAL) < 1e-6);
  const two = await search(
    ...["--system", "LJ38", "--start", `${dir}/start.xyz`, "--out", `${dir}/out2`],
  );
  assert.equal(two.code, 2);
  assert.match(two.stderr, /^error: .*start\.xyz frame 1: 13 atoms, LJ38 has 38\n$/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("CLI: SIGTERM saves the search; --resume finishes it as if never stopped", async () => {
  const dir = await Deno.makeTempDir();
  // The layout llvmpipe would not choose: the resumed run keeps it without being told (the other
  // layout would round differently and part from the whole run).
  const flags = [
    "--system",
    "LJ13",
    "--replicas",
    "32",
    "--max-evals",
    "3000",
    "--sync-every",
    "50",
    "--layout",
    "workgroup",
  ];
  const whole = await search(...flags, "--out", `${dir}/whole`);
  assert.equal(whole.code, 0, whole.stderr);

  const run = spawnRun(Deno.execPath(), [
    ...["run", "--allow-read", "--allow-write", "--allow-env", TASK],
    ...flags,
    ...["--out", `${dir}/part`],
  ]);
  await run.progress(3);
  run.child.kill("SIGTERM");
  const { code, stdout } = await run.finish();
  assert.equal(code, 143);
  assert.match(stdout, /stopped: interrupted/);
  const interrupted = JSON.parse(await Deno.readTextFile(`${dir}/part/summary.json`));
  assert.ok(interrupted.evaluations.perReplica < 3000);

  const refused = await search("--resume", `${dir}/part`, "--replicas", "8");
  assert.equal(refused.code, 2);
  assert.match(
    refused.stderr,
    /^error: --resume continues a search with its own options; drop --replicas\n$/,
  );
  const resumed = await search("--resume", `${dir}/part`);
  assert.equal(resumed.code, 0, resumed.stderr);
  const read = async (name: string) => await Deno.readTextFile(`${dir}/${name}`);
  assert.equal(await read("part/minima.xyz"), await read("whole/minima.xyz"));
  const strip = (text: string) =>
    JSON.parse(text, (key, value) => key === "wallSeconds" || key === "seconds" ? 0 : value);
  assert.deepEqual(strip(await read("part/summary.json")), strip(await read("whole/summary.json")));
  assert.equal(JSON.parse(await read("part/summary.json")).layout, "workgroup");
  assert.deepEqual(strip(await read("part/trace.json")), strip(await read("whole/trace.json")));
  const finished = await search("--resume", `${dir}/whole`);
  assert.equal(finished.code, 2);
  assert.match(finished.stderr, /that search has finished \(stopped: budget\)/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("CLI: limits and output folders are refused in one line before any GPU work", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/file`, "");
  for (
    const [args, pattern] of [
      [["--out", `${dir}/file`], /^error: --out .*file is a file, not a folder\n$/],
      [["--out", `${dir}/file/x`], /^error: --out .*file\/x lies under a file, not a folder\n$/],
      [["--start", "/dev/zero"], /^error: \/dev\/zero \(an XYZ file\): not a regular file\n$/],
    ] as const
  ) {
    const run = await search("--system", "LJ13", ...args);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, pattern);
  }
  for (
    const [args, pattern] of [
      [
        ["--resume", dir],
        /^error: --resume .*: nothing to continue there \(no state\.safetensors\)/,
      ],
      [["--resume", dir, "--system", "LJ13"], /^error: --resume continues .*; drop --system\n$/],
    ] as const
  ) {
    const run = await search(...args);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, pattern);
  }
  const big = await search("--system", "LJ13", "--replicas", "1000000", "--out", `${dir}/big`);
  assert.equal(big.code, 2);
  assert.match(
    big.stderr,
    /error: 1000000 replicas of LJ13 need a \d+ MiB \w+ buffer, over .*'s max\w+ of \d+ MiB \(at most \d+ replicas of LJ13 fit\)\n$/,
  );
  assert.equal(big.stderr.split("\n").filter((l) => l.startsWith("error")).length, 1);
  // Nothing is left of the refused run: the folder it claimed is gone again.
  await assert.rejects(() => Deno.stat(`${dir}/big`), Deno.errors.NotFound);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("minima.xyz from a search reads back with the f64 forces of each reported point", async () => {
  const result = await runSearch(searchOptions(LJ13, "bh", { replicas: 8, maxEvaluations: 600 }), {
    gpu,
  });
  const frames = parseXyz(formatXyz(minimaFrames(result)));
  assert.equal(frames.length, result.minima.length);
  frames.forEach((frame, k) => {
    const forces = result.minima[k].forces;
    assert.equal(frame.forces!.length, forces.length);
    frame.forces!.forEach((f, i) => assert.ok(Math.abs(f - forces[i]) <= 1e-9 * (1 + Math.abs(f))));
  });
});

/** The permission flags deno.json's task entry gives `name`. */
async function taskPermissions(name: string): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  return (config.tasks[name] as string).split(" ").filter((part) => part.startsWith("--allow"));
}

Deno.test("CLI: deno task search reads and writes the user's folders, from the folder it is run in", async () => {
  const permissions = await taskPermissions("search");
  const outside = await Deno.makeTempDir();
  const minimum = refineStructure(LJ13, icosahedron13(1.1)).positions;
  await Deno.writeTextFile(
    `${outside}/start.xyz`,
    formatXyz([{ symbols: Array(13).fill("X"), positions: minimum, info: {} }]),
  );
  // INIT_CWD is where deno task was typed: relative paths are the user's, not the project's.
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...permissions,
      TASK,
      ...["--system", "LJ13", "--replicas", "4", "--max-evals", "50", "--method", "fire"],
      ...["--start", "start.xyz", "--out", "run", "--json"],
    ],
    env: { INIT_CWD: outside },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, stderr);
  assert.equal(JSON.parse(new TextDecoder().decode(output.stdout)).start, "start.xyz");
  assert.ok((await Deno.stat(`${outside}/run/summary.json`)).isFile);
  await Deno.remove(outside, { recursive: true });
});
