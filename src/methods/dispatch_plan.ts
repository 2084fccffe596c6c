/**
 * How many steps and hops one dispatch of the fused kernel may take within the device's loop
 * budget (src/gpu/loop_budget.ts: llvmpipe's cap, none on hardware), from the loop counts of the
 * driver, the hopping wrapper, the moves and the local method (each WGSL file states its own), in
 * the kernel's thread layout: the lane layout's invocation loops over every atom and pair, the
 * workgroup layout's over its own atoms, their pairs with every atom, and the reduction trees.
 */
import { UserError } from "../core/errors.ts";
import { atomEnergyIterations, LOOP_BUDGET, replicaEnergyIterations } from "../gpu/loop_budget.ts";
import type { PotentialKind } from "../potentials/potential.ts";
import { reductionIterations, type WorkgroupShape } from "../gpu/thread_layout.ts";
import type { KernelShape } from "./kernel_source.ts";
import { TABOO_CAPACITY } from "./kernel_layout.ts";
import { hopControl, type MethodSpec } from "./method_spec.ts";
import { HOP_MOVES } from "./moves/registry.ts";
import { restartCost } from "./moves/restart.ts";

/** Steps per dispatch where the device sets no loop budget: the batch sizes its dispatches by
 * time (OptimizerBatch) up to this. */
export const MAX_STEPS_PER_DISPATCH = 65_536;
/** Hops a replica may take per dispatch: they come once per relaxation (tens to hundreds of
 * steps), so a few suffice. */
const MAX_HOPS_PER_DISPATCH = 4;

export interface DispatchPlan {
  /** The most steps per dispatch the budget allows. */
  stepsPerDispatch: number;
  hopsPerDispatch: number;
}

export function planDispatch(
  kind: PotentialKind,
  n: number,
  spec: MethodSpec,
  logCapacity: number,
  kernel: KernelShape = { layout: "lane" },
  budget = LOOP_BUDGET,
): DispatchPlan {
  const hopping = spec.driver.mode === "hopping";
  if (budget === Infinity) {
    return {
      stepsPerDispatch: MAX_STEPS_PER_DISPATCH,
      hopsPerDispatch: hopping ? MAX_HOPS_PER_DISPATCH : 1,
    };
  }
  const { step, hop, fixed } = kernel.layout === "lane"
    ? laneCosts(kind, n, spec, logCapacity)
    : workgroupCosts(kind, n, spec, logCapacity, kernel.shape);
  const available = budget - fixed;
  // Each hop reserved costs steps; outside hopping, one slot rejects a non-finite point (a
  // restart, shaders/driver.wgsl).
  const hopsPerDispatch = hopping
    ? Math.max(1, Math.min(MAX_HOPS_PER_DISPATCH, Math.floor(available / 8 / hop)))
    : 1;
  const stepsPerDispatch = Math.floor((available - hopsPerDispatch * hop) / step);
  if (stepsPerDispatch < 1) {
    throw new UserError(
      `${n} atoms are too many for the fused ${spec.local.name} kernel in the ${kernel.layout} ` +
        `layout with this potential on this device (one step needs ~${
          Math.ceil(step + hopsPerDispatch * hop)
        } loop iterations of llvmpipe's ${budget}; try --layout workgroup)`,
    );
  }
  return { stepsPerDispatch, hopsPerDispatch };
}

interface Costs {
  step: number;
  hop: number;
  /** Once per dispatch: loading and storing the replica. */
  fixed: number;
}

function laneCosts(kind: PotentialKind, n: number, spec: MethodSpec, logCapacity: number): Costs {
  // The evaluation, and the loop that clears the per-atom energies (LJ and Gupta kernels with
  // surface moves; counted for every cluster kernel, a bound rather than an exact count).
  const energy = replicaEnergyIterations(kind, n) + (kind === "sw" ? 0 : n);
  const cost = spec.local.cost(n);
  // A step: the method's loops, the constraint, the evaluation's force and best-position loops.
  const step = energy + cost.step + 3 * n + 2;
  return {
    step,
    hop: energy + cost.reset + hopIterations(n, spec, logCapacity),
    fixed: 4 * n + cost.loadStore,
  };
}

function workgroupCosts(
  kind: PotentialKind,
  n: number,
  spec: MethodSpec,
  logCapacity: number,
  shape: WorkgroupShape,
): Costs {
  const owned = shape.ownedAtoms;
  // A reduction's loop, with a margin.
  const reduction = reductionIterations(shape) + 2;
  // Both passes of the atom view for each owned atom, the clearing of their energy shares, and
  // the sum and largest force of the evaluation.
  const energy = owned * (atomEnergyIterations(kind, n) + 2) + 2 * reduction;
  const cost = spec.local.cost(owned);
  // The method's cost counts its loops over atoms, not the loops around them (L-BFGS's over its
  // history), which weigh once an invocation has few atoms: each reduction stands for one.
  const step = energy + cost.step + 3 * owned + 2 + (cost.reductions + 1) * (reduction + 2) +
    cost.drawsPerAtom * n;
  // The moves and the controller are bounded as in the lane layout (every invocation draws the
  // whole replica's random numbers); their few reductions are within that bound.
  return {
    step,
    hop: energy + cost.reset + hopIterations(n, spec, logCapacity) + 4 * reduction,
    fixed: 4 * owned + cost.loadStore,
  };
}

/** The hopping wrapper, the log, the move probabilities, the uniform move and every move the
 * kernel compiles in, and a restart with reseeding (a bound: a hop makes one, or one and the
 * uniform move), the taboo list's three scans, and the hop
 * controller's decision and ranking; outside hopping, the restart that rejects a non-finite point.
 * A hopping kernel rejects one with a uniform move, within a hop's bound. */
function hopIterations(n: number, spec: MethodSpec, logCapacity: number): number {
  if (spec.driver.mode !== "hopping") return 4 * n + restartCost(n);
  // Every move of positive weight: those the kernel compiles in, and perhaps a few more.
  const weights = spec.driver.hopping.moves;
  const made = HOP_MOVES.filter((move) => (weights[move.name] ?? 0) > 0)
    .reduce((sum, move) => sum + move.cost(n), 0) +
    ((spec.driver.hopping.reseedHops ?? 0) > 0 ? restartCost(n) : 0);
  const taboo = spec.driver.hopping.taboo === true ? 3 * TABOO_CAPACITY : 0;
  return 9 * n + logCapacity + 3 * HOP_MOVES.length + n + made + taboo +
    (hopControl(spec)?.cost(n) ?? 0);
}
