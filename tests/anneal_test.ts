/**
 * The melt-quench anneal (src/methods/anneal.ts) beyond its kernel-against-mirror trajectories
 * (tests/optimizer_kernel_test.ts): its thermostat holds the temperature it is given, its schedule
 * is the one documented, and a slow quench of LJ13 from random starts finds the icosahedron.
 */
import assert from "node:assert/strict";
import { testGpu } from "./gpu.ts";
import {
  type MethodSpec,
  parseSystem,
  referenceContext,
  ReferenceReplica,
  runSearch,
  searchOptions,
} from "../mod.ts";
import { anneal, annealTemperature } from "../src/methods/anneal.ts";
import { JAX_MD_FIRE } from "../src/methods/fire.ts";

const gpu = await testGpu();

function annealSpec(steps: number, maxStep = 0.2): MethodSpec {
  return {
    local: anneal({ maxStep, anneal: { steps, friction: 1 }, fire: JAX_MD_FIRE }),
    driver: { mode: "local", fmax: 0 },
    containerRadius: 0,
  };
}

Deno.test("the anneal's schedule holds the melt for a fifth of its steps, then cools linearly to 0", () => {
  assert.equal(annealTemperature(0.3, 0, 1000), 0.3);
  assert.equal(annealTemperature(0.3, 199, 1000), 0.3);
  assert.equal(annealTemperature(0.3, 200, 1000), 0.3);
  assert.ok(Math.abs(annealTemperature(0.3, 600, 1000) - 0.15) < 1e-15);
  assert.equal(annealTemperature(0.3, 1000, 1000), 0);
  assert.equal(annealTemperature(0.3, 5000, 1000), 0);
});

Deno.test("the anneal's Langevin thermostat gives an LJ dimer's bond the harmonic spread kT / k", () => {
  // LJ's pair curvature at its minimum r0 = 2^(1/6): V''(r0) = 36 * 2^(2/3) = 57.146 epsilon /
  // sigma^2; the dimer's bond coordinate then has variance kT / V''(r0) at low temperature
  // (equipartition; the anharmonic correction at kT = 0.005 is under 2%).
  const system = parseSystem("LJ2");
  const kT = 0.005;
  const r0 = 2 ** (1 / 6);
  const curvature = 36 * 2 ** (2 / 3);
  const replica = new ReferenceReplica(
    referenceContext(system, annealSpec(10_000_000)),
    [0, 0, 0, r0, 0, 0],
    { step: 0.02, dr: 0, temperature: kT, seed: 3 },
    0,
  );
  let sum = 0;
  let sum2 = 0;
  let samples = 0;
  for (let e = 1_000; e <= 100_000; e += 5) {
    replica.advanceTo(e);
    const x = replica.x;
    const r = Math.hypot(x[3] - x[0], x[4] - x[1], x[5] - x[2]);
    sum += r;
    sum2 += r * r;
    samples++;
  }
  const mean = sum / samples;
  const variance = sum2 / samples - mean * mean;
  const expected = kT / curvature;
  console.log(`  bond variance ${variance.toExponential(3)}, kT / k ${expected.toExponential(3)}`);
  assert.ok(Math.abs(variance / expected - 1) < 0.1, `variance ${variance} against ${expected}`);
});

Deno.test("a slow anneal of LJ13 from random starts ends in the icosahedron in most replicas", async () => {
  const system = parseSystem("LJ13");
  const options = searchOptions(system, "anneal", { replicas: 16, maxEvaluations: 6000, seed: 1 });
  const result = await runSearch(options, { gpu });
  const found = result.replicaFirstHits!.filter(Number.isFinite).length;
  console.log(`  ${found} of 16 replicas at the icosahedron`);
  // 10 on llvmpipe (MELT_TEMPERATURE's comment); basin hopping would find it in all.
  assert.ok(found >= 7, `${found} of 16`);
});
