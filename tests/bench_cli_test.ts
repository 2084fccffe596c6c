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
  ]);
  assert.equal(code, 0, stderr);
  const report = JSON.parse(stdout);
  assert.equal(typeof report.adapter, "string");
  assert.deepEqual(report.cases.map((c: { system: string }) => c.system), ["LJ13", "Au13"]);
  for (const c of report.cases) {
    assert.ok(c.gpuKernelPerSecond > 0 && c.referencePerSecond > 0);
  }
  assert.ok(report.fire[0].gpu.clusterStepsPerSecond > 0);
  assert.equal(report.fire[0].lammps, null, "--quick skips the LAMMPS peer");
});

Deno.test("bench: a bad case is one line with status 2", async () => {
  const { code, stderr } = await runTaskFile("bench", PERMISSIONS, ["--cases", "LJ13"]);
  assert.equal(code, 2);
  assert.match(stderr, /expected SYSTEM:REPLICAS/);
  assert.equal(stderr.trim().split("\n").length, 1);
});
