/**
 * Basin hopping's hand-designed defaults: the strongest search the project measured
 * (docs/BENCHMARKS.md, "Basin hopping"), and what a learned hop controller is a residual on
 * (src/learned/hopper.ts). Lengths and energies in the system's units: reduced (sigma, epsilon)
 * for LJ, Angstrom and eV for Gupta and silicon.
 */
import { hopTemperature } from "../potentials/registry.ts";
import { clusterRadius, MIN_DISTANCE_FACTOR } from "../systems/random_structures.ts";
import type { System } from "../systems/system.ts";
import type { HopControl } from "./hop_control.ts";
import type {
  HoppingSettings,
  MethodSpec,
  MoveWeights,
  ReplicaHyperparameters,
} from "./method_spec.ts";
import {
  DEFAULT_MAX_STEP,
  DEFAULT_STEP,
  defaultLocalSettings,
  localMethod,
  type LocalMethodName,
} from "./registry.ts";

/** Hop amplitude per bond length: Wales & Doye's 0.36 sigma for LJ (J. Phys. Chem. A 101, 5111
 * (1997)) is 0.32 of the LJ bond length 2^(1/6) sigma; adaptation then tunes it per replica. */
export const DR_PER_BOND_LENGTH = 0.32;

/** Basin hopping adapts dr every 10 hops towards half the hops accepted (GMIN's rule). */
export const DEFAULT_ADAPT_INTERVAL = 10;
export const DEFAULT_ADAPT_FACTOR = 1.1;
/** A relaxation also ends after this many steps. */
export const DEFAULT_RELAX_STEP_CAP = 1000;

/**
 * The default local method of basin hopping and random restarts, and the largest force at which
 * a relaxation ends and the replica hops, measured in docs/BENCHMARKS.md ("Basin hopping"):
 * L-BFGS re-relaxes a hopped LJ cluster in a fraction of FIRE's evaluations, and hopping at
 * 0.03 (epsilon/sigma for LJ, eV/Angstrom otherwise, a little below ASE's customary 0.05 eV/A)
 * instead of 1e-3 saves the long tail of each relaxation without changing which basin it is in;
 * the minima reported are polished in f64 at the end (refine.ts).
 */
export const DEFAULT_HOP_LOCAL: LocalMethodName = "lbfgs";
export const DEFAULT_HOP_FMAX = 0.03;

/** Surface moves put the atom half a bond length beyond the farthest other atom. */
export const SURFACE_OFFSET_PER_BOND_LENGTH = 0.5;

/** The inversion move's share of the default mix for clusters (docs/RESULTS.md: a fifth of the
 * hops cut the LJ38 batch's work to its first global minimum from 66,920 to 28,560 evaluations,
 * Au38's from 223,208 to 33,496 and Pt38's from 321,488 to 41,512, with LJ55 unchanged and LJ19
 * and LJ26 as often at the minimum within 5,000 evaluations). */
export const DEFAULT_INVERSION_SHARE = 0.2;

/** A periodic network solid's share of bond switches, and of kicks, in the default mix. */
export const DEFAULT_NETWORK_SHARE = 0.1;

/**
 * The default mix of hop proposals: clusters a fifth inversion moves (the cluster averaged with
 * its inverted image) and the rest in equal thirds of uniform kicks, surface moves of the
 * highest-energy atom and symmetrise moves (measured in docs/BENCHMARKS.md and docs/RESULTS.md);
 * bimetallics move one hop in ten to a swap of unlike atoms, so homotops are explored besides
 * geometries. Periodic systems have no surface or centre: one element (silicon) takes uniform
 * moves with a tenth each of bond switches and kicks, which tie uniform moves alone (Si64, 64
 * replicas x 10,000 evaluations, median 0.239 eV/atom above diamond against 0.236 and 0.239 over
 * two seeds; docs/RESULTS.md) and give a hop controller network moves to steer; two elements
 * uniform moves and swaps.
 */
export function defaultMoves(system: System): MoveWeights {
  const swap = system.elements.length > 1 ? 0.1 : 0;
  if (system.box !== undefined) {
    if (swap > 0) return { uniform: 0.9, swap };
    const share = DEFAULT_NETWORK_SHARE;
    return { uniform: 1 - 2 * share, bond_switch: share, kick: share };
  }
  const inversion = DEFAULT_INVERSION_SHARE;
  const third = (1 - inversion - swap) / 3;
  return {
    uniform: third,
    surface: third,
    symmetrise: third,
    inversion,
    ...(swap > 0 ? { swap } : {}),
  };
}

/** The hopping wrapper's defaults on `system` (random restarts: `moves: { restart: 1 }`). */
export function defaultHopping(system: System, moves: MoveWeights): HoppingSettings {
  return {
    hopFmax: DEFAULT_HOP_FMAX,
    relaxStepCap: DEFAULT_RELAX_STEP_CAP,
    adaptInterval: moves.uniform ? DEFAULT_ADAPT_INTERVAL : 0,
    adaptFactor: DEFAULT_ADAPT_FACTOR,
    moves,
    startRadius: system.box === undefined ? clusterRadius(system.nAtoms, system.bondLength) : 1,
    minDistance: MIN_DISTANCE_FACTOR * system.bondLength,
    surfaceOffset: SURFACE_OFFSET_PER_BOND_LENGTH * system.bondLength,
  };
}

/** Default basin hopping on `system` as the kernel runs it (`control`: who takes the hop
 * decisions; none: the defaults above). */
export function basinHoppingSpec(system: System, control?: HopControl): MethodSpec {
  return {
    local: localMethod(defaultLocalSettings(DEFAULT_HOP_LOCAL, DEFAULT_MAX_STEP)),
    driver: { mode: "hopping", hopping: defaultHopping(system, defaultMoves(system)), control },
    containerRadius: 0,
  };
}

/** A replica's default basin-hopping hyperparameters (its seed and stream given). */
export function basinHoppingHyperparameters(
  system: System,
  seed: number,
): Omit<ReplicaHyperparameters, "stream" | "weights"> {
  return {
    step: DEFAULT_STEP[DEFAULT_HOP_LOCAL],
    dr: DR_PER_BOND_LENGTH * system.bondLength,
    // The potential entry's kT: Wales & Doye's 0.8 epsilon for LJ, k T_melt for the metals and Si.
    temperature: hopTemperature(system.potential),
    seed,
  };
}
