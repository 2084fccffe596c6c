/**
 * How many steps and hops one dispatch of the fused kernel may take within the device's loop
 * budget (src/gpu/loop_budget.ts: llvmpipe's cap, none on hardware), from the loop counts of the
 * driver, the hopping wrapper, the moves and the local method (each WGSL file states its own; a
 * potential's views, its registry entry), in the kernel's thread layout: the lane layout's
 * invocation loops over every atom and pair, the workgroup layout's over its own atoms, their
 * pairs with every atom, and the reduction trees.
 */
import { UserError } from "../core/errors.ts";
import { LOOP_BUDGET, SIMD_LANES } from "../gpu/loop_budget.ts";
import { potentialEntry, type PotentialKind } from "../potentials/registry.ts";
import { reductionIterations, type WorkgroupShape } from "../gpu/thread_layout.ts";
import type { HopControl } from "./hop_control.ts";
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
  const costs = kernel.layout === "lane"
    ? laneCosts(kind, n, spec, logCapacity)
    : workgroupCosts(kind, n, spec, logCapacity, kernel.shape);
  // Hops may take up to an eighth of the budget; outside hopping, one slot rejects a non-finite
  // point (a restart, shaders/driver.wgsl).
  const oneHop = costs.lanes * (costs.hop.shared + costs.hop.largestMove);
  const hopsPerDispatch = hopping
    ? Math.max(1, Math.min(MAX_HOPS_PER_DISPATCH, Math.floor((budget - costs.fixed) / 8 / oneHop)))
    : 1;
  // The iterations grow with the steps: the most steps within the budget, by bisection.
  let fits = 0;
  let over = MAX_STEPS_PER_DISPATCH + 1;
  while (over - fits > 1) {
    const steps = Math.floor((fits + over) / 2);
    if (dispatchIterations(costs, steps, hopsPerDispatch) <= budget) fits = steps;
    else over = steps;
  }
  if (fits < 1) {
    throw new UserError(
      `${n} atoms are too many for the fused ${spec.local.name} kernel in the ${kernel.layout} ` +
        `layout with this potential on this device (one step needs ~${
          Math.ceil(dispatchIterations(costs, 1, hopsPerDispatch) - costs.fixed)
        } loop iterations of llvmpipe's ${budget}${
          kernel.layout === "lane" ? "; try --layout workgroup" : ""
        })`,
    );
  }
  return { stepsPerDispatch: fits, hopsPerDispatch };
}

interface Costs {
  step: number;
  hop: HopCost;
  /** Once per dispatch: loading and storing the replica. */
  fixed: number;
  /** Replicas that share one loop counter and hop in passes of their own: llvmpipe runs
   * SIMD_LANES invocations of the lane layout together, one replica of the workgroup layout. */
  lanes: number;
}

/** A hop's loops: those every hop runs, and its move's (each a bound). */
interface HopCost {
  shared: number;
  /** The dearest move one hop may make (with a reseed's restart where chains reseed). */
  largestMove: number;
  /** Every move the kernel compiles in, which one iteration runs where its lanes hop with all. */
  allMoves: number;
}

/**
 * Loop iterations of one dispatch of `steps` loop passes of which each replica hops at most `hops`
 * times. A loop counter belongs to a SIMD group, which runs an iteration while any of its lanes
 * does: every pass costs a step, and a pass in which some lane hops costs a hop as well, with the
 * moves its lanes make. The lanes of the lane layout hop in different passes, so up to
 * lanes x hops passes hop, and their moves together cost at most one dearest move per lane hop.
 */
export function dispatchIterations(costs: Costs, steps: number, hops: number): number {
  const { hop, lanes } = costs;
  const hoppingPasses = Math.min(steps, lanes * hops);
  const moves = Math.min(lanes * hops * hop.largestMove, hoppingPasses * hop.allMoves);
  return costs.fixed + steps * costs.step + hoppingPasses * hop.shared + moves;
}

function laneCosts(kind: PotentialKind, n: number, spec: MethodSpec, logCapacity: number): Costs {
  // The evaluation, with the loop that clears the per-atom energies (the potential's entry).
  const energy = potentialEntry(kind).wgsl.replicaIterations(n);
  const cost = spec.local.cost(n);
  // A step: the method's loops, the constraint, the evaluation's force and best-position loops.
  const step = energy + cost.step + 3 * n + 2;
  const hop = hopIterations(n, n, 0, spec, logCapacity);
  return {
    step,
    hop: { ...hop, shared: energy + cost.reset + hop.shared },
    fixed: 4 * n + cost.loadStore,
    // Outside hopping the one rejection of a dispatch comes after its loop (shaders/driver.wgsl),
    // once for the whole SIMD group.
    lanes: spec.driver.mode === "hopping" ? SIMD_LANES : 1,
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
  const energy = owned * (potentialEntry(kind).wgsl.atomIterations(n, true) + 2) + 2 * reduction;
  const cost = spec.local.cost(owned);
  // The method's cost counts its loops over atoms, not the loops around them (L-BFGS's over its
  // history), which weigh once an invocation has few atoms: each reduction stands for one.
  const step = energy + cost.step + 3 * owned + 2 + (cost.reductions + 1) * (reduction + 2) +
    cost.drawsPerAtom * n;
  // The moves are bounded as in the lane layout (every invocation draws the whole replica's
  // random numbers; their few reductions are within that bound); the controller's loops over
  // atoms run over the owned ones, with its reductions.
  const hop = hopIterations(n, owned, reduction + 2, spec, logCapacity);
  return {
    step,
    hop: { ...hop, shared: energy + cost.reset + hop.shared + 4 * reduction },
    fixed: 4 * owned + cost.loadStore,
    lanes: 1,
  };
}

/** A hop controller's loops and reductions (`reduction`: one reduction's iterations, 0 in the
 * lane layout). */
function controlCost(
  control: HopControl | undefined,
  n: number,
  owned: number,
  reduction: number,
): number {
  return control === undefined ? 0 : control.cost(n, owned) + control.reductions * reduction;
}

/** The hopping wrapper, the log, the move probabilities, the uniform move, the taboo list's three
 * scans and the hop controller's decision and ranking (shared), and the moves: every move the
 * kernel compiles in, and a restart where chains reseed (a hop makes one move, or one and the
 * restart). Outside hopping, the restart that rejects a non-finite point; a hopping kernel rejects
 * one with a uniform move, within a hop's bound. */
function hopIterations(
  n: number,
  owned: number,
  reduction: number,
  spec: MethodSpec,
  logCapacity: number,
): HopCost {
  if (spec.driver.mode !== "hopping") {
    return { shared: 4 * n, largestMove: restartCost(n), allMoves: restartCost(n) };
  }
  // Every move of positive weight: those the kernel compiles in, and perhaps a few more.
  const weights = spec.driver.hopping.moves;
  const moves = HOP_MOVES.filter((move) => (weights[move.name] ?? 0) > 0).map((move) =>
    move.cost(n)
  );
  const reseed = (spec.driver.hopping.reseedHops ?? 0) > 0 ? restartCost(n) : 0;
  const taboo = spec.driver.hopping.taboo === true ? 3 * TABOO_CAPACITY : 0;
  return {
    shared: 9 * n + logCapacity + 3 * HOP_MOVES.length + n + taboo +
      controlCost(hopControl(spec), n, owned, reduction),
    largestMove: Math.max(0, ...moves) + reseed,
    allMoves: moves.reduce((sum, cost) => sum + cost, 0) + reseed,
  };
}
