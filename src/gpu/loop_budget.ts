/**
 * How many optimizer steps one dispatch of the fused kernel may take. llvmpipe silently stops an
 * invocation after 65,535 loop iterations in total (all loops, nested ones included), so the
 * kernel's work per dispatch is bounded from the loop counts written at the top of each shader
 * file; real GPUs have no such limit but get the same, already long, dispatches.
 */
import { UserError } from "../errors.ts";
import type { Method } from "../optimizers/settings.ts";
import type { PotentialKind } from "../potentials/potential.ts";

/** Iterations allowed per invocation, with a margin below llvmpipe's 65,535. */
export const LOOP_BUDGET = 60_000;
/** Neighbours per atom held by the fused SW kernel (the energy kernel holds more, see
 * potential_layout.ts): twice the ~10 of random silicon at diamond density, and small enough that
 * a Si64 step plus a random restart fits one dispatch. More makes the replica fail, reported. */
export const FUSED_SW_MAX_NEIGHBOURS = 20;
/** Trials for random placements in the kernel (PLACEMENT_TRIALS in shaders/optimize.wgsl). */
const PLACEMENT_TRIALS = 8;

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

export interface DispatchPlan {
  stepsPerDispatch: number;
  hopsPerDispatch: number;
}

export function planDispatch(
  kind: PotentialKind,
  n: number,
  method: Method,
  logCapacity: number,
): DispatchPlan {
  const energy = replicaEnergyIterations(kind, n);
  // A step: the optimizer's loops over atoms, constraints, the evaluation and its bookkeeping;
  // the learned optimizer's MLP adds 4 x 5 + 4 x 5 + 4 loop iterations per atom.
  const step = energy + (method === "learned" ? 60 : 10) * n + 1;
  let hop = energy + 9 * n + logCapacity + PLACEMENT_TRIALS;
  if (method === "random") hop += PLACEMENT_TRIALS * (n * (n - 1) / 2 + n);
  const available = LOOP_BUDGET - 2 * n;
  const hopping = method === "bh" || method === "random";
  // Hops come once per relaxation (tens to hundreds of steps), so a few per dispatch suffice;
  // each one reserved costs steps.
  const hopsPerDispatch = hopping ? Math.max(1, Math.min(4, Math.floor(available / 8 / hop))) : 0;
  const stepsPerDispatch = Math.floor((available - hopsPerDispatch * hop) / step);
  if (stepsPerDispatch < 1) {
    throw new UserError(
      `${n} atoms are too many for the fused ${method} kernel with this potential ` +
        `(one step needs ~${step + hopsPerDispatch * hop} loop iterations of ${LOOP_BUDGET})`,
    );
  }
  return { stepsPerDispatch, hopsPerDispatch: Math.max(1, hopsPerDispatch) };
}
