/**
 * fire-residual (src/learned/fire_residual.ts), the per-step learned optimizer as a residual on
 * FIRE: at its initial theta it IS FIRE (f64 mirror bit for bit, GPU kernel within f32 rounding),
 * its kernel follows its f64 mirror with every weight active, its step shrinks with the force as
 * FIRE's does (where per-atom-mlp's stays at 1e-2 bond lengths), one unit of its kick output is a
 * basin-hopping-sized move, its checkpoints round-trip, and `deno task train` trains it.
 */
import assert from "node:assert/strict";
import { testGpu } from "./gpu.ts";
import { icosahedron13, runTaskFile, TINY_TRAIN_CONFIG } from "./helpers.ts";
import {
  type MethodSpec,
  OptimizerBatch,
  parseSystem,
  randomStructures,
  referenceContext,
  ReferenceReplica,
  type ReplicaHyperparameters,
  type System,
  THREAD_LAYOUTS,
} from "../mod.ts";
import { perAtomMlp } from "../src/learned/per_atom_mlp.ts";
import { Rng } from "../src/core/rng.ts";
import { DR_PER_BOND_LENGTH } from "../src/methods/basin_hopping.ts";
import { fire, JAX_MD_FIRE } from "../src/methods/fire.ts";
import { DEFAULT_STEP } from "../src/methods/registry.ts";
import { initialTheta, PARAMETER_COUNT } from "../src/learned/architecture.ts";
import { ARCHITECTURES } from "../src/learned/architectures.ts";
import { type Checkpoint, loadCheckpoint, saveCheckpoint } from "../src/learned/checkpoint.ts";
import {
  FIRE_RESIDUAL_ARCHITECTURE,
  FIRE_RESIDUAL_FEATURES,
  FIRE_RESIDUAL_NETWORK,
  FIRE_RESIDUAL_OUTPUT,
  FIRE_RESIDUAL_PARAMETERS,
  fireResidualSpec,
  initialFireResidualTheta,
  KICK_SCALE,
} from "../src/learned/fire_residual.ts";
import { loadLearnedOptimizer } from "../src/learned/learned_optimizer.ts";

const gpu = await testGpu();
const ARCH = ARCHITECTURES[FIRE_RESIDUAL_ARCHITECTURE.name];
const MAX_STEP = 0.2;
const FMAX = 1e-3;
const OUTPUT_LAYER = FIRE_RESIDUAL_NETWORK.layerOffset(2);

function residualSpec(system: System): MethodSpec {
  return fireResidualSpec(system, {
    maxStep: MAX_STEP * system.bondLength,
    fmax: FMAX,
    containerRadius: 0,
    energyScale: 1,
  });
}

/** FIRE itself, run free like the learned optimizer (same largest step, same fmax). */
function fireSpec(system: System): MethodSpec {
  return {
    local: fire({ maxStep: MAX_STEP * system.bondLength, fire: JAX_MD_FIRE }),
    driver: { mode: "free", fmax: FMAX },
    containerRadius: 0,
  };
}

function hyper(seed: number, weights = 0): (r: number) => ReplicaHyperparameters {
  return (r) => ({ step: DEFAULT_STEP.fire, dr: 0, temperature: 0, seed: seed + r, weights });
}

function mirror(
  system: System,
  spec: MethodSpec,
  start: ArrayLike<number>,
  h: ReplicaHyperparameters,
  weights?: ArrayLike<number>,
): ReferenceReplica {
  return new ReferenceReplica(referenceContext(system, spec, { weights }), start, h, 0);
}

/** The f64 LJ13 icosahedron relaxed by FIRE to fmax 1e-9. */
function relaxedIcosahedron(): Float64Array {
  const system = parseSystem("LJ13");
  const spec: MethodSpec = { ...fireSpec(system), driver: { mode: "local", fmax: 1e-9 } };
  const replica = mirror(system, spec, icosahedron13(1.1), hyper(1)(0));
  replica.advanceTo(5000);
  assert.equal(replica.status, "converged");
  assert.ok(Math.abs(replica.energy - -44.326801) < 1e-5, `${replica.energy}`);
  return Float64Array.from(replica.x);
}

/** `count` copies of x, each coordinate moved by a normal of standard deviation delta. */
function perturbed(x: Float64Array, count: number, delta: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(count * x.length);
  for (let r = 0; r < count; r++) {
    for (let k = 0; k < x.length; k++) {
      const u = 1 - rng.uniform();
      const normal = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.uniform());
      out[r * x.length + k] = x[k] + delta * normal;
    }
  }
  return out;
}

/** Root mean square over atoms (and replicas) of the per-atom displacement from a to b. */
function rmsDisplacement(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let k = 0; k < a.length; k++) sum += (b[k] - a[k]) ** 2;
  return Math.sqrt(sum / (a.length / 3));
}

Deno.test("fire-residual layout: 548 weights, random hidden layers, a zero output layer", () => {
  assert.equal(FIRE_RESIDUAL_PARAMETERS, 12 * 16 + 16 + 16 * 16 + 16 + 16 * 4 + 4);
  assert.equal(ARCH.description.parameterCount, FIRE_RESIDUAL_PARAMETERS);
  assert.equal(ARCH.features.length, FIRE_RESIDUAL_ARCHITECTURE.inputs);
  // train_config.ts bounds the population by the largest architecture, per-atom-mlp's.
  assert.ok(FIRE_RESIDUAL_PARAMETERS <= PARAMETER_COUNT);
  const theta = ARCH.initialTheta(3);
  assert.ok(theta.subarray(0, OUTPUT_LAYER).some((w) => w !== 0), "hidden weights are random");
  assert.ok(theta.subarray(OUTPUT_LAYER).every((w) => w === 0), "output layer at zero");
  assert.deepEqual(theta, initialFireResidualTheta(3));
  // FIRE's per-replica hyperparameter: JAX MD's dt_start.
  assert.equal(DEFAULT_STEP.fire, 0.1);
  assert.deepEqual(ARCH.hyperparameters(parseSystem("LJ13"), 5), {
    step: 0.1,
    dr: 0,
    temperature: 0,
    seed: 5,
  });
});

Deno.test("fire-residual at its initial theta: the f64 mirror is FIRE's, bit for bit", () => {
  const system = parseSystem("LJ13");
  const theta = ARCH.initialTheta(11);
  const starts = randomStructures(system, 6, 3);
  const n = 3 * system.nAtoms;
  for (let r = 0; r < 3; r++) {
    const start = starts.subarray(n * r, n * (r + 1));
    const learned = mirror(system, residualSpec(system), start, hyper(2)(r), theta);
    const plain = mirror(system, fireSpec(system), start, hyper(2)(r));
    learned.advanceTo(400);
    plain.advanceTo(400);
    assert.deepEqual(learned.x, plain.x, `replica ${r}`);
    assert.equal(learned.energy, plain.energy);
    assert.deepEqual(learned.log.map((m) => m.evaluations), plain.log.map((m) => m.evaluations));
  }
});

for (const layout of THREAD_LAYOUTS) {
  Deno.test(`LJ13: the fire-residual kernel at its initial theta gives FIRE's trajectories (${layout})`, async () => {
    const system = parseSystem("LJ13");
    const replicas = 8;
    const n = 3 * system.nAtoms;
    const start = Float32Array.from(randomStructures(system, 9, replicas));
    const learned = await OptimizerBatch.create(gpu, system, replicas, {
      spec: residualSpec(system),
      weightVectors: 1,
      layout,
    });
    learned.setWeights(Float32Array.from(ARCH.initialTheta(4)));
    learned.initialize(start, hyper(30));
    const plain = await OptimizerBatch.create(gpu, system, replicas, {
      spec: fireSpec(system),
      layout,
    });
    plain.initialize(start, hyper(30));
    let positionError = 0;
    let energyError = 0;
    let logged = 0;
    for (const checkpoint of [20, 100, 300]) {
      const a = await learned.advanceTo(checkpoint);
      const b = await plain.advanceTo(checkpoint);
      const [xa, xb] = [await learned.readPositions(), await plain.readPositions()];
      for (let r = 0; r < replicas; r++) {
        const label = `replica ${r} at ${checkpoint}`;
        assert.equal(a.replicas.evaluations[r], checkpoint, label);
        assert.equal(a.replicas.status[r], "running", label);
        const e = Math.abs(a.replicas.energy[r] - b.replicas.energy[r]);
        energyError = Math.max(energyError, e / Math.abs(b.replicas.energy[r]));
        assert.ok(e <= 1e-5 * Math.abs(b.replicas.energy[r]), `${label}: energy ${e}`);
        const best = Math.abs(a.replicas.bestEnergy[r] - b.replicas.bestEnergy[r]);
        assert.ok(best <= 1e-5 * Math.abs(b.replicas.bestEnergy[r]), `${label}: best ${best}`);
        for (let k = n * r; k < n * (r + 1); k++) {
          positionError = Math.max(positionError, Math.abs(xa[k] - xb[k]));
        }
        assert.deepEqual(
          a.minima[r].map((m) => m.evaluations),
          b.minima[r].map((m) => m.evaluations),
          `${label}: minima logged at the same evaluations`,
        );
        logged += a.minima[r].length;
      }
    }
    assert.ok(logged >= 4, `only ${logged} minima logged`);
    assert.ok(positionError < 1e-4, `position error ${positionError}`);
    console.log(
      `  largest position difference ${positionError}, relative energy ${energyError}, ` +
        `${logged} minima logged by both`,
    );
    learned.destroy();
    plain.destroy();
  });
}

/** Weights with every layer random: steps scaled by up to e^3 either way, kicks on some atoms. */
function activeTheta(seed: number): Float32Array {
  const theta = new Float32Array(FIRE_RESIDUAL_PARAMETERS);
  FIRE_RESIDUAL_NETWORK.initialize(theta, 0, new Rng(seed), 1, false);
  // Kicks of a few hundredths of a bond length on the atoms where that output is positive.
  for (let i = 0; i < 16; i++) {
    theta[FIRE_RESIDUAL_NETWORK.weightIndex(2, FIRE_RESIDUAL_OUTPUT.kick, i)] *= 0.1;
  }
  return theta;
}

for (const layout of THREAD_LAYOUTS) {
  Deno.test(`LJ13: the fire-residual kernel follows its f64 mirror with every weight active (${layout})`, async () => {
    const system = parseSystem("LJ13");
    const spec = residualSpec(system);
    const replicas = 4;
    const n = 3 * system.nAtoms;
    const weights = new Float32Array([...activeTheta(5), ...activeTheta(6)]);
    const batch = await OptimizerBatch.create(gpu, system, replicas, {
      spec,
      weightVectors: 2,
      layout,
    });
    batch.setWeights(weights);
    const start = Float32Array.from(randomStructures(system, 4, replicas));
    const h = (r: number) => ({ ...hyper(40)(r), weights: r % 2 });
    batch.initialize(start, h);
    const references = Array.from(
      { length: replicas },
      (_, r) =>
        new ReferenceReplica(
          referenceContext(system, spec, { weights, logCapacity: batch.logCapacity }),
          start.subarray(n * r, n * (r + 1)),
          h(r),
          r,
        ),
    );
    let worst = 0;
    for (const checkpoint of [2, 10, 30]) {
      const { replicas: state } = await batch.advanceTo(checkpoint);
      const positions = await batch.readPositions();
      for (let r = 0; r < replicas; r++) {
        const reference = references[r];
        reference.advanceTo(checkpoint);
        const label = `replica ${r} at ${checkpoint}`;
        assert.equal(state.status[r], "running", label);
        let error = 0;
        for (let k = 0; k < n; k++) {
          error = Math.max(
            error,
            Math.abs(reference.minimumImage(positions[n * r + k] - reference.x[k])),
          );
        }
        assert.ok(error < 1e-3 * system.bondLength, `${label}: position error ${error}`);
        const energyError = Math.abs(state.energy[r] - reference.energy) /
          Math.max(1, Math.abs(reference.energy));
        assert.ok(energyError < 1e-4, `${label}: relative energy error ${energyError}`);
        worst = Math.max(worst, error);
      }
    }
    console.log(`  largest position difference kernel - mirror over 30 steps: ${worst}`);
    // The weights act: with the output layer at zero (FIRE) every replica is elsewhere, and kicks
    // were drawn (FIRE without them, the same step factors, is elsewhere too).
    for (let r = 0; r < replicas; r++) {
      const zero = weights.slice();
      zero.fill(
        0,
        (r % 2) * FIRE_RESIDUAL_PARAMETERS + OUTPUT_LAYER,
        (r % 2 + 1) * FIRE_RESIDUAL_PARAMETERS,
      );
      const noKick = weights.slice();
      const base = (r % 2) * FIRE_RESIDUAL_PARAMETERS;
      noKick[base + FIRE_RESIDUAL_NETWORK.biasIndex(2, FIRE_RESIDUAL_OUTPUT.kick)] = -100;
      for (const other of [zero, noKick]) {
        const replica = new ReferenceReplica(
          referenceContext(system, spec, { weights: other }),
          start.subarray(n * r, n * (r + 1)),
          h(r),
          r,
        );
        replica.advanceTo(30);
        const moved = rmsDisplacement(replica.x, references[r].x);
        assert.ok(moved > 1e-2 * system.bondLength, `replica ${r}: only ${moved} apart`);
      }
    }
    batch.destroy();
  });
}

Deno.test("LJ13: fire-residual settles (its step scales with the force) and one kick unit hops", async () => {
  const system = parseSystem("LJ13");
  const bond = system.bondLength;
  const minimum = relaxedIcosahedron();
  const spec = residualSpec(system);
  const replicas = 16;
  const n = 3 * system.nAtoms;
  const batch = await OptimizerBatch.create(gpu, system, replicas, { spec, weightVectors: 1 });
  const theta = ARCH.initialTheta(8);
  batch.setWeights(Float32Array.from(theta));
  /** The rms step (bond lengths) over every replica, each of `count` steps up to `last`. */
  const stepsTo = async (last: number, count: number) => {
    await batch.advanceTo(last - count);
    let before = await batch.readPositions();
    const steps = [];
    for (let s = last - count + 1; s <= last; s++) {
      await batch.advanceTo(s);
      const after = await batch.readPositions();
      steps.push(rmsDisplacement(before, after) / bond);
      before = after;
    }
    return steps;
  };

  // The step is FIRE's, proportional to the force: a perturbation 10x smaller, a first step 10x
  // shorter (about the perturbation itself, 1e-4 bond lengths, where per-atom-mlp's is 1e-2).
  const first: number[] = [];
  for (const delta of [1e-3, 1e-4]) {
    batch.initialize(perturbed(minimum, replicas, delta * bond, 3), hyper(50));
    first.push((await stepsTo(2, 1))[0]);
  }
  console.log(`  first rms step: ${first[0]} (perturbation 1e-3), ${first[1]} (1e-4) bond lengths`);
  assert.ok(Math.abs(first[0] / first[1] - 10) < 0.5, `first steps ${first}`);
  assert.ok(first[1] > 0.5e-4 && first[1] < 2e-4, `first step ${first[1]}`);
  // ... and it settles: within 300 evaluations every replica is back at the icosahedron below
  // fmax 2e-4 (f32's floor is near 1e-5), its steps some 1e-8 bond lengths.
  const late = await stepsTo(300, 10);
  const { replicas: settled } = await batch.advanceTo(300);
  const lateRms = Math.sqrt(late.reduce((sum, s) => sum + s * s, 0) / late.length);
  const worstFmax = Math.max(...settled.fmax);
  console.log(
    `  after 300 evaluations: rms step ${lateRms} bond lengths, largest fmax ${worstFmax}`,
  );
  assert.ok(lateRms < 1e-6, `rms step ${lateRms} bond lengths after 300 evaluations`);
  assert.ok(worstFmax < 2e-4, `fmax ${settled.fmax}`);
  for (const e of settled.energy) assert.ok(Math.abs(e - -44.326801) < 1e-4, `energy ${e}`);
  // per-atom-mlp at its initial theta (f64 mirror) from the same start: 1e-2 bond lengths a
  // step at every force level, never within fmax 1e-3.
  const mlpSpec: MethodSpec = {
    local: perAtomMlp({ maxStep: MAX_STEP * bond, bondLength: bond, energyScale: 1 }),
    driver: { mode: "free", fmax: FMAX },
    containerRadius: 0,
  };
  const start = perturbed(minimum, 1, 1e-4 * bond, 3);
  const mlp = mirror(system, mlpSpec, start, hyper(50)(0), initialTheta(8));
  let mlpFmax = mlp.fmax;
  const mlpSteps = [];
  for (let s = 0; s < 300; s++) {
    const before = Float64Array.from(mlp.x);
    mlp.advance();
    mlpSteps.push(rmsDisplacement(before, mlp.x) / bond);
    mlpFmax = Math.min(mlpFmax, mlp.fmax);
  }
  console.log(
    `  per-atom-mlp: first step ${mlpSteps[0]}, last ${mlpSteps[299]} bond lengths, ` +
      `smallest fmax ${mlpFmax}`,
  );
  assert.ok(mlpSteps[0] > 20 * first[1] && mlpSteps[299] > 1e4 * lateRms, `${mlpSteps}`);
  assert.ok(mlpFmax > FMAX);

  // Hop reach: o_kick = 1 everywhere (its bias 1, the output layer otherwise zero) kicks every
  // atom by KICK_SCALE bond lengths rms, about basin hopping's move; recentring the cluster then
  // removes 1/13 of the kicks' variance.
  const kicking = theta.slice();
  kicking[FIRE_RESIDUAL_NETWORK.biasIndex(2, FIRE_RESIDUAL_OUTPUT.kick)] = 1;
  batch.setWeights(kicking);
  const exact = new Float32Array(replicas * n);
  for (let r = 0; r < replicas; r++) exact.set(minimum, r * n);
  batch.initialize(exact, hyper(60));
  const kick = (await stepsTo(2, 1))[0];
  const { replicas: state } = await batch.advanceTo(2);
  const expected = KICK_SCALE * Math.sqrt(12 / 13);
  console.log(`  rms kick at o_kick = 1: ${kick} bond lengths (expected ${expected})`);
  assert.ok(Math.abs(kick - expected) < 0.1 * expected, `kick ${kick}`);
  assert.ok(Math.abs(KICK_SCALE - DR_PER_BOND_LENGTH) < 0.1 * DR_PER_BOND_LENGTH);
  // A real hop: every replica is thrown far up out of the minimum ...
  for (let r = 0; r < replicas; r++) {
    assert.ok(state.energy[r] > -44.3268 + 5, `replica ${r}: energy ${state.energy[r]}`);
  }
  // ... and the f64 mirror kicks the same atoms the same way.
  const positions = await batch.readPositions();
  const reference = mirror(system, spec, exact.subarray(0, n), hyper(60)(0), kicking);
  reference.advanceTo(2);
  let error = 0;
  for (let k = 0; k < n; k++) error = Math.max(error, Math.abs(positions[k] - reference.x[k]));
  assert.ok(error < 1e-5, `kick error ${error}`);
  batch.destroy();
});

Deno.test("a fire-residual checkpoint round-trips and loads as a learned optimizer", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/fire-residual.safetensors`;
  const theta = activeTheta(9);
  const checkpoint: Checkpoint = {
    theta,
    optimizer: {
      m: theta.map((w) => w / 10),
      v: theta.map((w) => w * w),
      step: 12,
    },
    outerStep: 12,
    rngState: new Rng(4).state(),
    architecture: FIRE_RESIDUAL_ARCHITECTURE,
    features: [...FIRE_RESIDUAL_FEATURES],
    config: { architecture: "fire-residual", maxStep: 0.15 },
    projectVersion: "0.1.0",
  };
  await saveCheckpoint(path, checkpoint);
  const read = await loadCheckpoint(path, {
    architecture: FIRE_RESIDUAL_ARCHITECTURE,
    features: FIRE_RESIDUAL_FEATURES,
  });
  assert.deepEqual(read, checkpoint);
  const learned = await loadLearnedOptimizer(path);
  assert.equal(learned.architecture, ARCH);
  assert.deepEqual(learned.weights, theta);
  assert.equal(learned.maxStepBondLengths, 0.15);
  const system = parseSystem("LJ13");
  const spec = learned.spec(system, { fmax: FMAX, containerRadius: 0 });
  assert.equal(spec.local.name, "fire-residual");
  assert.equal(spec.driver.mode, "free");
  assert.ok(Math.abs(spec.local.maxStep - 0.15 * system.bondLength) < 1e-12);
  // The shipped per-atom-mlp checkpoint still loads as per-atom-mlp.
  const shipped = await loadLearnedOptimizer(
    new URL("../checkpoints/lj-small.safetensors", import.meta.url).pathname,
  );
  assert.equal(shipped.architecture.description.name, "per-atom-mlp");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("deno task train trains fire-residual from a config", async () => {
  const dir = await Deno.makeTempDir();
  const config = `${dir}/fire-residual.json`;
  await Deno.writeTextFile(
    config,
    JSON.stringify({
      ...TINY_TRAIN_CONFIG,
      name: "fire-residual-tiny",
      architecture: "fire-residual",
      systems: ["LJ7"],
      unroll: 20,
      steps: 2,
      initScale: 1,
      checkpointEvery: 1,
    }),
  );
  const out = `${dir}/run`;
  const run = await runTaskFile("train", ["--allow-read", "--allow-write", "--allow-env"], [
    ...["--config", config, "--out", out, "--json"],
  ]);
  assert.equal(run.code, 0, run.stderr);
  const summary = JSON.parse(run.stdout);
  assert.equal(summary.outerStep, 2);
  assert.ok(Number.isFinite(summary.validationLoss.start));
  assert.ok(Number.isFinite(summary.validationLoss.end));
  assert.ok(Number.isFinite(summary.validationLoss.baseline));
  const learned = await loadLearnedOptimizer(`${out}/checkpoint.safetensors`);
  assert.equal(learned.architecture, ARCH);
  // Two ES steps moved theta off its start, the output layer included.
  const start = ARCH.initialTheta(TINY_TRAIN_CONFIG.seed, 1);
  assert.ok(learned.weights.subarray(OUTPUT_LAYER).some((w) => w !== 0));
  assert.notDeepEqual(learned.weights, start);
  await Deno.remove(dir, { recursive: true });
});
