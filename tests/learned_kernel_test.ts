/**
 * The learned optimizer on the GPU against its f64 mirror: the same weights, starts and random
 * streams give the same steps (the first step compares the MLP's outputs through the
 * displacement they produce) and the same short trajectories. Tolerances as in
 * optimizer_kernel_test.ts: f32 against f64 over a contracting descent.
 */
import assert from "node:assert/strict";
import { testGpu } from "./gpu.ts";
import {
  type MethodSpec,
  OptimizerBatch,
  parseSystem,
  randomStructures,
  referenceContext,
  ReferenceReplica,
  THREAD_LAYOUTS,
} from "../mod.ts";
import { perAtomMlp } from "../src/learned/per_atom_mlp.ts";
import {
  initialTheta,
  mlpForward,
  PARAMETER_COUNT,
  weightIndex,
} from "../src/learned/architecture.ts";

const gpu = await testGpu();

Deno.test("MLP layout: blocks index every weight once, forward matches a plain matrix product", () => {
  const seen = new Set<number>();
  for (const [l, outputs, inputs] of [[0, 16, 16], [1, 16, 16], [2, 4, 16]]) {
    for (let o = 0; o < outputs; o++) {
      for (let i = 0; i < inputs; i++) seen.add(weightIndex(l, o, i));
    }
  }
  assert.equal(seen.size, 16 * 16 * 2 + 16 * 4);
  // A network whose hidden layers are identities (inputs kept positive) reduces to layer 3.
  const theta = new Float32Array(PARAMETER_COUNT);
  for (let k = 0; k < 16; k++) {
    theta[weightIndex(0, k, k)] = 1;
    theta[weightIndex(1, k, k)] = 1;
  }
  for (let o = 0; o < 4; o++) for (let i = 0; i < 16; i++) theta[weightIndex(2, o, i)] = o + i / 16;
  const input = Float64Array.from({ length: 16 }, (_, k) => 0.5 + k);
  const out = mlpForward(theta, 0, input);
  for (let o = 0; o < 4; o++) {
    const expected = input.reduce((sum, v, i) => sum + (o + i / 16) * v, 0);
    assert.ok(Math.abs(out[o] - expected) < 1e-4 * Math.abs(expected));
  }
});

for (
  const [name, layout] of ["LJ13", "Ag7Au6", "Si24@L=8"].flatMap((name) =>
    THREAD_LAYOUTS.map((layout) => [name, layout] as const)
  )
) {
  Deno.test(`learned optimizer on ${name}: GPU steps equal the f64 mirror (${layout})`, async () => {
    const system = parseSystem(name);
    const replicas = 3;
    const members = 2;
    const thetas = new Float32Array(members * PARAMETER_COUNT);
    for (let m = 0; m < members; m++) thetas.set(initialTheta(7 + m, 0.5), m * PARAMETER_COUNT);
    const spec: MethodSpec = {
      local: perAtomMlp({ maxStep: 0.2, bondLength: system.bondLength, energyScale: 1 }),
      driver: { mode: "free", fmax: 0 },
      containerRadius: 0,
    };
    const hyper = (r: number) => ({ step: 0.1, dr: 0, temperature: 0, seed: 3, weights: r % 2 });
    const batch = await OptimizerBatch.create(gpu, system, replicas, {
      spec,
      weightVectors: members,
      layout,
    });
    batch.setWeights(thetas);
    const start = Float32Array.from(randomStructures(system, 4, replicas));
    batch.initialize(start, hyper);
    const n = 3 * system.nAtoms;
    const references = Array.from({ length: replicas }, (_, r) =>
      new ReferenceReplica(
        referenceContext(system, spec, { logCapacity: batch.logCapacity, weights: thetas }),
        start.subarray(n * r, n * (r + 1)),
        hyper(r),
        r,
      ));
    for (const checkpoint of [2, 20, 60]) {
      const { replicas: state } = await batch.advanceTo(checkpoint);
      const positions = await batch.readPositions();
      for (let r = 0; r < replicas; r++) {
        const reference = references[r];
        reference.advanceTo(checkpoint);
        const label = `${name} replica ${r} at ${checkpoint}`;
        assert.equal(state.status[r], "running", label);
        assert.equal(state.evaluations[r], checkpoint);
        let error = 0;
        for (let k = 0; k < n; k++) {
          let d = positions[n * r + k] - reference.x[k];
          if (system.box !== undefined) d -= system.box * Math.round(d / system.box);
          error = Math.max(error, Math.abs(d));
        }
        assert.ok(error < 1e-3 * system.bondLength, `${label}: position error ${error}`);
        const energyError = Math.abs(state.energy[r] - reference.energy) /
          Math.max(1, Math.abs(reference.energy));
        assert.ok(energyError < 1e-4, `${label}: relative energy error ${energyError}`);
      }
    }
    // The two weight vectors make different optimizers.
    assert.notEqual(references[0].energy, references[1].energy);
    batch.destroy();
  });
}
