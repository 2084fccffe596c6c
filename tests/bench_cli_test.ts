/** `deno task bench` runs end to end (tiny measurements: no figures are judged here). */
import assert from "node:assert/strict";
import { runTaskFile } from "./helpers.ts";

const PERMISSIONS = ["--allow-read", "--allow-write", "--allow-env", "--allow-run"];

Deno.test("bench --quick --json: every case reports finite rates", async () => {
  const { code, stdout, stderr } = await runTaskFile("bench", PERMISSIONS, [
    "--quick",
    "--json",
    "--cases",
    "LJ13:16,Au13:8",
    "--fire-cases",
    "LJ13:16",
    "--hopper-cases",
    "LJ13:8",
  ]);
  assert.equal(code, 0, stderr);
  const report = JSON.parse(stdout);
  assert.equal(typeof report.adapter, "string");
  // Both layouts, side by side.
  assert.deepEqual(
    report.cases.map((c: { system: string; layout: string }) => `${c.system} ${c.layout}`),
    ["LJ13 lane", "LJ13 workgroup", "Au13 lane", "Au13 workgroup"],
  );
  for (const c of report.cases) {
    assert.ok(c.gpuKernelPerSecond > 0 && c.referencePerSecond > 0);
  }
  // GFLOP/s from 29 FLOPs per ordered pair, 13 x 12 of them, for Lennard-Jones only.
  const lj = report.cases[0];
  assert.ok(Math.abs(lj.gflops - lj.gpuKernelPerSecond * 29 * 13 * 12 / 1e9) < 1e-9 * lj.gflops);
  assert.equal(report.cases[2].gflops, null);
  assert.deepEqual(
    report.fire.map((r: { local: string; layout: string }) => `${r.local} ${r.layout}`),
    ["fire lane", "fire workgroup", "lbfgs lane", "lbfgs workgroup"],
  );
  for (const r of report.fire) assert.ok(r.gpu.clusterStepsPerSecond > 0);
  assert.equal(report.fire[0].lammps, null, "--quick skips the LAMMPS peer");
  // The shipped hopper's search with and without its controller, in both layouts.
  assert.equal(report.hopper, "hopper");
  assert.deepEqual(
    report.controller.map((c: { system: string; layout: string }) => `${c.system} ${c.layout}`),
    ["LJ13 lane", "LJ13 workgroup"],
  );
  for (const c of report.controller) {
    assert.ok(c.plain.evaluations > 0 && c.learned.evaluations > 0 && c.learned.hops > 0);
    const rate = (t: { evaluations: number; seconds: number }) => t.evaluations / t.seconds;
    assert.ok(Math.abs(c.cost - (1 - rate(c.learned) / rate(c.plain))) < 1e-12);
  }
});

Deno.test("bench: a --hopper without a hop controller is one line with status 2", async () => {
  const { code, stderr } = await runTaskFile("bench", PERMISSIONS, [
    "--quick",
    "--cases",
    "LJ13:16",
    "--fire-cases",
    "",
    "--hopper-cases",
    "LJ13:8",
    "--hopper",
    "lj-small",
  ]);
  assert.equal(code, 2);
  assert.match(stderr, /checkpoints have no hop controller to time/);
  assert.equal(stderr.trim().split("\n").length, 1);
});

Deno.test("bench --layout workgroup --peak-gflops: one layout, its share of the peak", async () => {
  const { code, stdout, stderr } = await runTaskFile("bench", PERMISSIONS, [
    "--quick",
    "--json",
    "--cases",
    "LJ13:16",
    "--fire-cases",
    "",
    "--hopper-cases",
    "",
    "--layout",
    "workgroup",
    "--peak-gflops",
    "100",
  ]);
  assert.equal(code, 0, stderr);
  const report = JSON.parse(stdout);
  assert.deepEqual(report.peak, { gflops: 100, source: "--peak-gflops" });
  assert.equal(report.cases.length, 1);
  assert.equal(report.cases[0].layout, "workgroup");
  assert.ok(Math.abs(report.cases[0].peakFraction - report.cases[0].gflops / 100) < 1e-12);
});

Deno.test("bench: an unknown --layout is one line with status 2", async () => {
  const { code, stderr } = await runTaskFile("bench", PERMISSIONS, ["--layout", "warp"]);
  assert.equal(code, 2);
  assert.match(stderr, /--layout: unknown layout 'warp'; use lane or workgroup/);
  assert.equal(stderr.trim().split("\n").length, 1);
});

Deno.test("bench: a bad case is one line with status 2", async () => {
  const { code, stderr } = await runTaskFile("bench", PERMISSIONS, ["--cases", "LJ13"]);
  assert.equal(code, 2);
  assert.match(stderr, /expected SYSTEM:REPLICAS/);
  assert.equal(stderr.trim().split("\n").length, 1);
});
