/**
 * Throughput of FIRE relaxations, in cluster-steps per second (one step: one energy+force
 * evaluation and FIRE update of one cluster): the fused GPU kernel over a batch, and the
 * single-threaded f64 reference (ReferenceReplica) on the same random starts.
 *
 * Every replica relaxes from its own random start with its own adaptive time step until its own
 * convergence (max |F| < fmax) or 1000 steps, then starts again from a fresh random structure (the
 * kernel's random-restart method), just as the LAMMPS peer moves on to its next cluster; so no
 * replica idles while others relax. Settings match the LAMMPS peer (fmax 1e-3, largest move 0.1
 * per step, at most 1000 steps per relaxation; FIRE constants from JAX MD).
 */
import { OptimizerBatch } from "../gpu/optimizer_batch.ts";
import type { Gpu } from "../gpu/device.ts";
import { referenceContext, ReferenceReplica } from "../optimizers/reference_replica.ts";
import { DEFAULT_SETTINGS, type OptimizerSettings } from "../optimizers/settings.ts";
import {
  clusterRadius,
  MIN_DISTANCE_FACTOR,
  randomStructures,
} from "../systems/random_structures.ts";
import type { System } from "../systems/system.ts";

export function fireBenchSettings(system: System): OptimizerSettings {
  return {
    ...DEFAULT_SETTINGS,
    fmax: 1e-3,
    maxStep: 0.1,
    relaxStepCap: 1000,
    startRadius: clusterRadius(system.nAtoms, system.bondLength),
    minDistance: MIN_DISTANCE_FACTOR * system.bondLength,
  };
}
const FIRE_DT_START = 0.1;

export interface FireRate {
  clusterStepsPerSecond: number;
  steps: number;
  seconds: number;
  /** Relaxations finished during the measurement (converged or at the step cap). */
  relaxations: number;
  stepsPerDispatch: number;
}

/** The fused kernel: `replicas` random starts (seed), timed over roughly `seconds`. */
export async function gpuFireRate(
  gpu: Gpu,
  system: System,
  replicas: number,
  seed: number,
  seconds: number,
): Promise<FireRate> {
  const batch = await OptimizerBatch.create(gpu, system, replicas, {
    method: "random",
    settings: fireBenchSettings(system),
  });
  try {
    batch.initialize(
      randomStructures(system, seed, replicas),
      () => ({ step: FIRE_DT_START, dr: 0, temperature: 0, seed }),
    );
    // Warm-up: compiles the kernels (llvmpipe compiles at first dispatch).
    let limit = 1 + batch.stepsPerDispatch;
    batch.advance(limit);
    const warm = (await batch.sync()).replicas;
    let before = sum(warm.evaluations);
    let hopsBefore = sum(warm.hops);
    let relaxations = 0;
    // Grow the chunk until one takes a noticeable share of the time.
    let chunk = batch.stepsPerDispatch;
    let steps = 0;
    let elapsed = 0;
    while (elapsed < seconds * 1000) {
      const start = performance.now();
      limit += chunk;
      batch.advance(limit);
      const { replicas: state } = await batch.sync();
      const spent = performance.now() - start;
      const after = sum(state.evaluations);
      steps += after - before;
      before = after;
      elapsed += spent;
      if (spent < seconds * 250) chunk *= 2;
      relaxations += sum(state.hops) - hopsBefore;
      hopsBefore = sum(state.hops);
    }
    return {
      clusterStepsPerSecond: steps / (elapsed / 1000),
      steps,
      seconds: elapsed / 1000,
      relaxations,
      stepsPerDispatch: batch.stepsPerDispatch,
    };
  } finally {
    batch.destroy();
  }
}

/** The f64 reference on one core: relaxations of successive random starts, time-boxed. */
export function referenceFireRate(system: System, seed: number, seconds: number): number {
  const context = referenceContext(system, "fire", fireBenchSettings(system));
  const n = 3 * system.nAtoms;
  const starts = randomStructures(system, seed, 16);
  let steps = 0;
  const start = performance.now();
  for (let r = 0; performance.now() - start < seconds * 1000; r++) {
    const replica = new ReferenceReplica(
      context,
      starts.subarray(n * (r % 16), n * (r % 16 + 1)),
      { step: FIRE_DT_START, dr: 0, temperature: 0, seed },
      r,
    );
    while (replica.advance() && performance.now() - start < seconds * 1000);
    steps += replica.evaluations;
  }
  return steps / ((performance.now() - start) / 1000);
}

function sum(values: ArrayLike<number>): number {
  let total = 0;
  for (let k = 0; k < values.length; k++) total += values[k];
  return total;
}
