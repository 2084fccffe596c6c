/**
 * What the fused kernel runs: one local method, and the driver around it (shaders/driver.wgsl).
 * - local: relax until the largest force is below fmax, then stop (gd, adam, fire, lbfgs);
 * - hopping: relax to `hopFmax` (or `relaxStepCap` steps), then hop (basin hopping, random
 *   restarts, any mix of moves) over ANY local method;
 * - free: never stop, log each minimum passed below fmax (the learned optimizers).
 * Lengths and energies are in the system's units (reduced for LJ; Angstrom and eV otherwise).
 */
import { UserError } from "../core/errors.ts";
import { clusterRadius, MIN_DISTANCE_FACTOR } from "../systems/random_structures.ts";
import type { System } from "../systems/system.ts";
import type { HopControl } from "./hop_control.ts";
import type { LocalMethod } from "./local_method.ts";

import { HOP_MOVES, isMoveName, MOVE_NAMES, type MoveName } from "./moves/registry.ts";
import type { MoveSystem } from "./moves/move.ts";

export { MOVE_NAMES, type MoveName };
/** Relative weights of the hop proposals (src/methods/moves/registry.ts); they need not sum to
 * 1. */
export type MoveWeights = Partial<Record<MoveName, number>>;

export interface HoppingSettings {
  /** A relaxation ends, and the replica hops, once the largest force is below this. */
  hopFmax: number;
  /** ... or after this many steps. */
  relaxStepCap: number;
  /** Every this many hops, dr is multiplied by adaptFactor if more than half were accepted,
   * else divided by it (GMIN's rule). 0: dr stays fixed. */
  adaptInterval: number;
  adaptFactor: number;
  /** The default mix of proposals (replicas may have their own, ReplicaHyperparameters.moves). */
  moves: MoveWeights;
  /** Restart moves: clusters start uniform in a sphere of this radius (periodic: the box), atoms
   * at least minDistance apart where a few trials allow. */
  startRadius: number;
  minDistance: number;
  /** Surface moves put the chosen atom this far beyond the farthest other atom (length). */
  surfaceOffset: number;
  /** GMIN's NEWRESTART: a chain whose lowest minimum has not improved (by more than the system's
   * energy tolerance) for this many hops restarts from a random structure and accepts its next
   * minimum; absent or 0: never. */
  reseedHops?: number;
  /** GMIN's AVOID (needs reseedHops): the replica keeps a list of the lowest minima of its
   * chains that went stale (the last TABOO_CAPACITY, src/methods/kernel_layout.ts); a chain whose
   * lowest minimum since its (re)start is one of them (within the system's energy tolerance) is
   * stale at once, instead of after reseedHops more hops. Absent or false: none. */
  taboo?: boolean;
  /** Replica exchange between the chains, run by the host between dispatches (not the kernel):
   * ladders of this many replicas at temperatures spaced geometrically over the temperature
   * sweep (src/search/replica_exchange.ts); absent or 0: none. */
  exchangeRungs?: number;
  /** The batch as a population (src/search/population.ts; needs reseedHops): a stale chain is
   * reseeded by the host, between dispatches, from a pool of the batch's lowest distinct minima
   * instead of a random structure; absent: the kernel reseeds randomly. */
  pool?: PoolSettings;
}

/** Reseeding from the population's pool (src/search/population.ts). */
export interface PoolSettings {
  /** The pool: this many of the lowest distinct minima found by any replica (the archive's). */
  size: number;
  /** The share of pool reseeds made by cut-and-splice crossover of two pool members (clusters
   * only; Deaven & Ho 1995); the others start from a perturbed pool member. */
  crossover: number;
}

export type Driver =
  | { mode: "local"; fmax: number }
  /** `control`: who takes the hop decisions (hop_control.ts); without one, the defaults. */
  | { mode: "hopping"; hopping: HoppingSettings; control?: HopControl }
  | { mode: "free"; fmax: number };

export interface MethodSpec {
  local: LocalMethod;
  driver: Driver;
  /** Clusters: atoms farther than this from the centre of mass are put back on the sphere.
   * 0: no container. */
  containerRadius: number;
}

/** Probabilities of each move from weights; a UserError unless they are finite, non-negative
 * and sum to a positive number. */
export function moveProbabilities(weights: MoveWeights): Record<MoveName, number> {
  let total = 0;
  for (const [name, weight] of Object.entries(weights)) {
    if (!isMoveName(name)) {
      throw new UserError(`unknown move '${name}' (known: ${MOVE_NAMES.join(", ")})`);
    }
    if (!(Number.isFinite(weight) && weight! >= 0)) {
      throw new UserError(`the weight of the ${name} move must be a non-negative number`);
    }
    total += weight!;
  }
  if (!(total > 0)) throw new UserError("the move weights must sum to a positive number");
  return Object.fromEntries(
    MOVE_NAMES.map((name) => [name, (weights[name] ?? 0) / total]),
  ) as Record<
    MoveName,
    number
  >;
}

/** Random restarts: a relaxation to `hopFmax` (or 1000 steps), then a fresh random structure
 * placed like `randomStructures` (the random-restart baseline, and the benchmark's way of keeping
 * every replica relaxing). */
export function restartHopping(system: System, hopFmax: number): HoppingSettings {
  return {
    hopFmax,
    relaxStepCap: 1000,
    adaptInterval: 0,
    adaptFactor: 1,
    moves: { restart: 1 },
    startRadius: system.box === undefined ? clusterRadius(system.nAtoms, system.bondLength) : 1,
    minDistance: MIN_DISTANCE_FACTOR * system.bondLength,
    surfaceOffset: 0,
  };
}

/** Where restarts place atoms: the hopping settings' (restart moves), otherwise the defaults of
 * `restartHopping` (the restart that rejects a non-finite point outside hopping). */
export function restartPlacement(
  system: System,
  spec: MethodSpec,
): { startRadius: number; minDistance: number } {
  const hopping = spec.driver.mode === "hopping"
    ? spec.driver.hopping
    : restartHopping(system, driverFmax(spec.driver));
  return { startRadius: hopping.startRadius, minDistance: hopping.minDistance };
}

/** What decides which moves a system takes (src/methods/moves/move.ts). */
export function moveSystem(system: System): MoveSystem {
  return { periodic: system.box !== undefined, nSpecies: system.elements.length };
}

/** Which registered moves a kernel contains: those of positive weight in the driver's mix that
 * the system takes (a swap with one element never finds a partner). Replicas may weigh them
 * differently, but use no others. The kernel's constants and the f64 mirror's choice of move both
 * follow this. */
export function compiledMoves(spec: MethodSpec, system: MoveSystem): Set<MoveName> {
  const moves: MoveWeights = spec.driver.mode === "hopping" ? spec.driver.hopping.moves : {};
  return new Set(
    HOP_MOVES.filter((move) => (moves[move.name] ?? 0) > 0 && move.refusal(system) === null)
      .map((move) => move.name),
  );
}

/** Whether any of these moves reads atom ranks (the kernel then keeps per-atom energies). */
export function ranksAtoms(moves: ReadonlySet<MoveName>): boolean {
  return HOP_MOVES.some((move) => move.ranksAtoms && moves.has(move.name));
}

/** The hop controller of a hopping driver, if any. */
export function hopControl(spec: MethodSpec): HopControl | undefined {
  return spec.driver.mode === "hopping" ? spec.driver.control : undefined;
}

/** Learned weights per weight vector: the learned local method's or the hop controller's (a spec
 * has at most one of them). */
export function learnedParameterCount(spec: MethodSpec): number {
  const control = hopControl(spec)?.parameterCount ?? 0;
  if (control > 0 && spec.local.parameterCount > 0) {
    throw new Error("a learned local method and a learned hop controller cannot share a batch");
  }
  return control + spec.local.parameterCount;
}

/** The fmax at which the driver stops, hops or logs. */
export function driverFmax(driver: Driver): number {
  return driver.mode === "hopping" ? driver.hopping.hopFmax : driver.fmax;
}

/** What may differ between replicas of one batch, so a batch can sweep hyperparameters. */
export interface ReplicaHyperparameters {
  /** GD step size, Adam learning rate, FIRE's starting time step (JAX MD: 0.1), or L-BFGS's
   * H0 scale without history. */
  step: number;
  /** Hopping: displacement amplitude per coordinate of a uniform move. */
  dr: number;
  /** Hopping: Metropolis temperature (energy units; 0 accepts only downhill). */
  temperature: number;
  /** Seed of the replica's random stream. */
  seed: number;
  /** Which stream of that seed (default: the replica's index). Replicas given the same seed and
   * stream draw the same random numbers, e.g. ES population members on one task. */
  stream?: number;
  /** Learned optimizers: index of the weight vector (ES population member) the replica uses. */
  weights?: number;
  /** Hopping: this replica's mix of moves (default: the driver's). */
  moves?: MoveWeights;
}
