/**
 * How many optimizer steps one dispatch of the fused kernel may take. llvmpipe silently stops an
 * invocation after 65,535 loop iterations in total (all loops, nested ones included), so the
 * kernel's work per dispatch is bounded from the loop counts written at the top of each shader
 * file; real GPUs have no such limit but get the same, already long, dispatches.
 */
import type { PotentialKind } from "../potentials/potential.ts";

/** Iterations allowed per invocation, with a margin below llvmpipe's 65,535. */
export const LOOP_BUDGET = 60_000;
/** Neighbours per atom held by the fused SW kernel (the energy kernel holds more, see
 * potential_layout.ts): twice the ~10 of random silicon at diamond density, and small enough that
 * a Si64 step plus a random restart fits one dispatch. More makes the replica fail, reported. */
export const FUSED_SW_MAX_NEIGHBOURS = 20;

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
