/**
 * The search methods by name, their settings as a discriminated union on the driver, the default
 * settings and per-replica hyperparameters per method and system, and the sweeps that spread one
 * hyperparameter over the replicas of a batch. Lengths and energies are in the system's units:
 * reduced (sigma, epsilon) for LJ, Angstrom and eV for Gupta and silicon.
 */
import { UserError } from "../core/errors.ts";
import type { LearnedOptimizer } from "../learned/learned_optimizer.ts";
import {
  DEFAULT_MAX_STEP,
  defaultLocalSettings,
  isLocalMethodName,
  localMethod,
  type LocalMethodName,
  type LocalSettings,
} from "../methods/registry.ts";
import type { HoppingSettings, MethodSpec, MoveWeights } from "../methods/method_spec.ts";
import type { PotentialKind } from "../potentials/potential.ts";
import { clusterRadius, MIN_DISTANCE_FACTOR } from "../systems/random_structures.ts";
import type { System } from "../systems/system.ts";

export const METHODS = ["gd", "adam", "fire", "lbfgs", "bh", "random", "learned"] as const;
export type Method = typeof METHODS[number];

/** Settings of a search's method, by what drives the local method (src/methods/method_spec.ts):
 * plain data, recorded in summary.json. */
export type MethodSettings =
  | { driver: "local"; local: LocalSettings; fmax: number; containerRadius: number }
  | { driver: "hopping"; local: LocalSettings; hopping: HoppingSettings; containerRadius: number }
  | {
    driver: "free";
    /** The largest move per step (length); undefined: the checkpoint's trained one. */
    maxStep?: number;
    fmax: number;
    containerRadius: number;
  };

/** Convergence of a local relaxation, and of the minima the learned optimizer logs. */
export const DEFAULT_FMAX = 1e-3;

/**
 * Default `step` per local method, measured on LJ13 from random starts (64 replicas, fmax 1e-3):
 * - gd 1e-3: x += step F is stable only below 2 / (stiffest Hessian eigenvalue); at 5e-3, 50 of
 *   64 replicas oscillate for 20,000 evaluations, at 1e-3 all converge within 4,900.
 * - adam 1e-2: all converge within 920 evaluations (3e-3: 1,720).
 * - fire: JAX MD's dt_start 0.1.
 * - lbfgs: H0 = 0.1 without history, GMIN's DGUESS for LJ.
 */
export const DEFAULT_STEP: Record<LocalMethodName, number> = {
  gd: 1e-3,
  adam: 1e-2,
  fire: 0.1,
  lbfgs: 0.1,
};

/** Hop amplitude per bond length: Wales & Doye's 0.36 sigma for LJ (J. Phys. Chem. A 101, 5111
 * (1997)) is 0.32 of the LJ bond length 2^(1/6) sigma; adaptation then tunes it per replica. */
export const DR_PER_BOND_LENGTH = 0.32;

/**
 * Basin-hopping temperature kT per potential. Wales & Doye's 0.8 epsilon for LJ sits a little
 * above the bulk LJ triple point (0.69 epsilon); the same rule for the eV potentials gives about
 * k * T_melt: 0.1 eV (1160 K; Au melts at 1337 K, Ag 1235 K, Cu 1358 K) for Gupta, 0.15 eV
 * (1740 K; SW silicon melts near 1690 K) for silicon. Sweeps (--temperature 0.05:0.3) scan it.
 */
export const DEFAULT_TEMPERATURE: Record<PotentialKind, number> = { lj: 0.8, gupta: 0.1, sw: 0.15 };

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

/**
 * The default mix of hop proposals: clusters half uniform kicks and half surface moves of the
 * highest-energy atom (measured in docs/BENCHMARKS.md); bimetallics move one hop in ten to a swap
 * of unlike atoms, so homotops are explored besides geometries; periodic systems have no surface,
 * so uniform kicks (and swaps).
 */
export function defaultMoves(system: System): MoveWeights {
  const swap = system.elements.length > 1 ? 0.1 : 0;
  if (system.box !== undefined) return swap > 0 ? { uniform: 0.9, swap } : { uniform: 1 };
  return swap > 0 ? { uniform: 0.45, surface: 0.45, swap } : { uniform: 0.5, surface: 0.5 };
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

/** The default settings of `method` on `system`. */
export function defaultSettings(system: System, method: Method): MethodSettings {
  const containerRadius = 0;
  if (method === "learned") return { driver: "free", fmax: DEFAULT_FMAX, containerRadius };
  if (isLocalMethodName(method)) {
    return {
      driver: "local",
      local: defaultLocalSettings(method, DEFAULT_MAX_STEP),
      fmax: DEFAULT_FMAX,
      containerRadius,
    };
  }
  const moves: MoveWeights = method === "random" ? { restart: 1 } : defaultMoves(system);
  return {
    driver: "hopping",
    local: defaultLocalSettings(DEFAULT_HOP_LOCAL, DEFAULT_MAX_STEP),
    hopping: defaultHopping(system, moves),
    containerRadius,
  };
}

/** What the kernel runs for these settings; the learned driver needs its optimizer. */
export function methodSpec(
  system: System,
  settings: MethodSettings,
  learned?: LearnedOptimizer,
): MethodSpec {
  if (settings.driver === "free") {
    if (learned === undefined) {
      throw new UserError("the learned method needs weights (a checkpoint: --checkpoint FILE)");
    }
    return {
      local: learned.method(system, settings.maxStep),
      driver: { mode: "free", fmax: settings.fmax },
      containerRadius: settings.containerRadius,
    };
  }
  const local = localMethod(settings.local);
  if (settings.driver === "local") {
    return {
      local,
      driver: { mode: "local", fmax: settings.fmax },
      containerRadius: settings.containerRadius,
    };
  }
  return {
    local,
    driver: { mode: "hopping", hopping: settings.hopping },
    containerRadius: settings.containerRadius,
  };
}

/** A per-replica value: the same for every replica, or spread linearly from `from` (replica 0)
 * to `to` (the last replica), so one batch can scan a hyperparameter. */
export type Sweep = number | { from: number; to: number };

/** Replica r of B gets from + (to - from) r / (B - 1); a single replica gets `from`. */
export function sweepValue(sweep: Sweep, replica: number, replicas: number): number {
  if (typeof sweep === "number") return sweep;
  if (replicas === 1) return sweep.from;
  return sweep.from + (sweep.to - sweep.from) * replica / (replicas - 1);
}

/** The hyperparameters a batch may vary between replicas. */
export interface HyperparameterSweeps {
  /** GD step (length^2 / energy), Adam learning rate (length), FIRE dt_start (unit masses),
   * L-BFGS's H0 (length^2 / energy). */
  step: Sweep;
  /** Basin hopping: largest displacement per coordinate of a uniform move (length). */
  dr: Sweep;
  /** Basin hopping: Metropolis temperature kT (energy). */
  temperature: Sweep;
}

/** Default per-replica hyperparameters; dr and temperature are 0 (unused) except for bh, and the
 * learned optimizer uses none of them. */
export function defaultSweeps(system: System, settings: MethodSettings): HyperparameterSweeps {
  const hopping = settings.driver === "hopping" && !settings.hopping.moves.restart;
  return {
    step: settings.driver === "free" ? 0.1 : DEFAULT_STEP[settings.local.method],
    dr: hopping ? DR_PER_BOND_LENGTH * system.bondLength : 0,
    temperature: hopping ? DEFAULT_TEMPERATURE[system.potential.kind] : 0,
  };
}
