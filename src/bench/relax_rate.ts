/**
 * Throughput of local relaxations (FIRE or L-BFGS), in cluster-steps per second (one step: one
 * energy+force evaluation and update of one cluster): the fused GPU kernel over a batch, and the
 * single-threaded f64 reference (ReferenceReplica) on the same random starts.
 *
 * Every replica relaxes from its own random start with its own adaptive time step until its own
 * convergence (max |F| < fmax) or 1000 steps, then starts again from a fresh random structure (the
 * kernel's random-restart method), just as the LAMMPS peer moves on to its next cluster; so no
 * replica idles while others relax. Settings match the LAMMPS peer (fmax 1e-3, largest move 0.1
 * per step, at most 1000 steps per relaxation; FIRE constants from JAX MD, L-BFGS's of
 * src/methods/lbfgs.ts).
 */
import type { Gpu } from "../gpu/device.ts";
import type { ThreadLayout } from "../gpu/thread_layout.ts";
import { type MethodSpec, restartHopping } from "../methods/method_spec.ts";
import { OptimizerBatch } from "../methods/optimizer_batch.ts";
import { referenceContext, ReferenceReplica } from "../methods/reference_replica.ts";
import { defaultLocalSettings, localMethod } from "../methods/registry.ts";
import { randomStructures } from "../systems/random_structures.ts";
import type { System } from "../systems/system.ts";
import { timeBatch } from "./timed_batch.ts";

export type BenchLocal = "fire" | "lbfgs";
export const BENCH_FMAX = 1e-3;
export const BENCH_MAX_STEP = 0.1;
/** FIRE's dt_start (JAX MD) and L-BFGS's H0 without history. */
const STEP = 0.1;

/** `local` relaxing fresh random structures one after another (restart moves at convergence). */
export function benchSpec(system: System, local: BenchLocal): MethodSpec {
  return {
    local: localMethod(defaultLocalSettings(local, BENCH_MAX_STEP)),
    driver: { mode: "hopping", hopping: restartHopping(system, BENCH_FMAX) },
    containerRadius: 0,
  };
}

export interface RelaxRate {
  clusterStepsPerSecond: number;
  steps: number;
  seconds: number;
  /** Relaxations finished during the measurement (converged or at the step cap). */
  relaxations: number;
  stepsPerDispatch: number;
}

/** The fused kernel: `replicas` random starts (seed), timed over roughly `seconds`. */
export async function gpuRelaxRate(
  gpu: Gpu,
  system: System,
  local: BenchLocal,
  replicas: number,
  seed: number,
  seconds: number,
  layout: ThreadLayout,
): Promise<RelaxRate> {
  const batch = await OptimizerBatch.create(gpu, system, replicas, {
    spec: benchSpec(system, local),
    layout,
  });
  try {
    batch.initialize(
      randomStructures(system, seed, replicas),
      () => ({ step: STEP, dr: 0, temperature: 0, seed }),
    );
    const timing = await timeBatch(batch, seconds);
    return {
      clusterStepsPerSecond: timing.evaluations / timing.seconds,
      steps: timing.evaluations,
      seconds: timing.seconds,
      relaxations: timing.hops,
      stepsPerDispatch: batch.stepsPerDispatch,
    };
  } finally {
    batch.destroy();
  }
}

/** The f64 reference on one core: relaxations of successive random starts, time-boxed. */
export function referenceRelaxRate(
  system: System,
  local: BenchLocal,
  seed: number,
  seconds: number,
): number {
  const context = referenceContext(system, {
    local: localMethod(defaultLocalSettings(local, BENCH_MAX_STEP)),
    driver: { mode: "local", fmax: BENCH_FMAX },
    containerRadius: 0,
  });
  const n = 3 * system.nAtoms;
  const starts = randomStructures(system, seed, 16);
  let steps = 0;
  const start = performance.now();
  for (let r = 0; performance.now() - start < seconds * 1000; r++) {
    const replica = new ReferenceReplica(
      context,
      starts.subarray(n * (r % 16), n * (r % 16 + 1)),
      { step: STEP, dr: 0, temperature: 0, seed },
      r,
    );
    while (replica.advance() && performance.now() - start < seconds * 1000);
    steps += replica.evaluations;
  }
  return steps / ((performance.now() - start) / 1000);
}
