/**
 * How much work one dispatch of a fused kernel may hold, a property of the device. llvmpipe
 * silently stops an invocation after 65,535 loop iterations in total (all loops, nested ones
 * included), so on a software rasterizer a dispatch is bounded from the loop counts written at the
 * top of each shader file (src/methods/dispatch_plan.ts). Hardware GPUs have no such limit: their
 * dispatches are sized by time instead (OptimizerBatch), and they take systems up to MAX_ATOMS.
 */
import type { PotentialKind } from "../potentials/potential.ts";

/** Iterations allowed per invocation on llvmpipe, with a margin below its 65,535 for the loops
 * the declared costs leave out: a loop in a branch that no lane takes still runs once. */
export const LOOP_BUDGET = 55_000;
/** Invocations that llvmpipe runs together as one SIMD group with one loop counter: its 256-bit
 * vectors hold 8 f32 lanes (Mesa's gallivm, lp_native_vector_width; 4 on a CPU without AVX, for
 * which 8 is a bound). The counter runs while any lane's loop does, so in the lane layout, where
 * each lane is a replica, the loops of 8 replicas that branch differently add up
 * (src/methods/dispatch_plan.ts). */
export const SIMD_LANES = 8;
/** Neighbours per atom held by the fused SW kernel (the energy kernel holds more, see
 * potential_layout.ts): twice the ~10 of random silicon at diamond density, and small enough that
 * a Si64 step plus a random restart fits one dispatch. More makes the replica fail, reported. */
export const FUSED_SW_MAX_NEIGHBOURS = 20;

/** Loop iterations one invocation may run per dispatch on this device (Infinity: no limit). */
export function loopBudget(gpu: { readonly isSoftware: boolean }): number {
  return gpu.isSoftware ? LOOP_BUDGET : Infinity;
}

/** Loop iterations of one replica-view energy evaluation (shaders/potentials/*_replica.wgsl). */
export function replicaEnergyIterations(kind: PotentialKind, n: number): number {
  const pairs = (n * (n - 1)) / 2;
  switch (kind) {
    case "lj":
      return pairs + 2 * n;
    case "gupta":
      return 2 * pairs + 4 * n;
    case "sw": {
      const m = FUSED_SW_MAX_NEIGHBOURS;
      return pairs + 3 * n + (n * m * (m + 1)) / 2;
    }
  }
}

/** Loop iterations of the atom view for one atom (shaders/potentials/*_atom.wgsl), both passes,
 * SW holding `neighbours` per atom (the fused kernel's limit unless told). */
export function atomEnergyIterations(
  kind: PotentialKind,
  n: number,
  neighbours = FUSED_SW_MAX_NEIGHBOURS,
): number {
  switch (kind) {
    case "lj":
      return n;
    case "gupta":
      return 2 * n;
    case "sw":
      return n + (neighbours * (neighbours - 1)) / 2 + neighbours * neighbours;
  }
}
