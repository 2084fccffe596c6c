/**
 * How many steps and hops one dispatch of the fused kernel may take within llvmpipe's loop
 * budget (src/gpu/loop_budget.ts), from the loop counts of the driver, the hopping wrapper, the
 * moves and the local method (each WGSL file states its own).
 */
import { UserError } from "../core/errors.ts";
import { PLACEMENT_TRIALS } from "../core/codes.ts";
import { LOOP_BUDGET, replicaEnergyIterations } from "../gpu/loop_budget.ts";
import type { PotentialKind } from "../potentials/potential.ts";
import { hopControl, type MethodSpec } from "./method_spec.ts";

export interface DispatchPlan {
  stepsPerDispatch: number;
  hopsPerDispatch: number;
}

export function planDispatch(
  kind: PotentialKind,
  n: number,
  spec: MethodSpec,
  logCapacity: number,
): DispatchPlan {
  // The evaluation, and the loop that clears the per-atom energies (LJ and Gupta kernels with
  // surface moves; counted for every cluster kernel, a bound rather than an exact count).
  const energy = replicaEnergyIterations(kind, n) + (kind === "sw" ? 0 : n);
  const cost = spec.local.cost(n);
  // A step: the method's loops, the constraint, the evaluation's force and best-position loops.
  const step = energy + cost.step + 3 * n + 2;
  const hopping = spec.driver.mode === "hopping";
  // The wrapper, the log, a surface move with its ranking (the largest move but restarts), the
  // hop controller's decision.
  let hop = energy + cost.reset + 9 * n + logCapacity + 5 * n + PLACEMENT_TRIALS +
    (hopControl(spec)?.cost(n) ?? 0);
  if (spec.driver.mode === "hopping" && (spec.driver.hopping.moves.restart ?? 0) > 0) {
    hop += PLACEMENT_TRIALS * (n * (n - 1) / 2 + n);
  }
  const available = LOOP_BUDGET - 4 * n - cost.loadStore;
  // Hops come once per relaxation (tens to hundreds of steps), so a few per dispatch suffice;
  // each one reserved costs steps.
  const hopsPerDispatch = hopping ? Math.max(1, Math.min(4, Math.floor(available / 8 / hop))) : 0;
  const stepsPerDispatch = Math.floor((available - hopsPerDispatch * hop) / step);
  if (stepsPerDispatch < 1) {
    throw new UserError(
      `${n} atoms are too many for the fused ${spec.local.name} kernel with this potential ` +
        `(one step needs ~${step + hopsPerDispatch * hop} loop iterations of ${LOOP_BUDGET})`,
    );
  }
  return { stepsPerDispatch, hopsPerDispatch: Math.max(1, hopsPerDispatch) };
}
