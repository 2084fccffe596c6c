/**
 * Default settings and per-replica hyperparameters of a search, per method and system, and the
 * sweeps that spread one hyperparameter over the replicas of a batch. Lengths and energies are in
 * the system's units: reduced (sigma, epsilon) for LJ, Angstrom and eV for Gupta and silicon.
 */
import { DEFAULT_SETTINGS, type Method, type OptimizerSettings } from "../optimizers/settings.ts";
import type { PotentialKind } from "../potentials/potential.ts";
import { clusterRadius, MIN_DISTANCE_FACTOR } from "../systems/random_structures.ts";
import type { System } from "../systems/system.ts";

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
  /** GD step (length^2 / energy), Adam learning rate (length), FIRE dt_start (unit masses). */
  step: Sweep;
  /** Basin hopping: largest displacement per coordinate of a hop (length). */
  dr: Sweep;
  /** Basin hopping: Metropolis temperature kT (energy). */
  temperature: Sweep;
}

/**
 * Default `step` per method, measured on LJ13 from random starts (64 replicas, fmax 1e-3):
 * - gd 1e-3: x += step F is stable only below 2 / (stiffest Hessian eigenvalue); at 5e-3, 50 of
 *   64 replicas oscillate for 20,000 evaluations, at 1e-3 all converge within 4,900.
 * - adam 1e-2: all converge within 920 evaluations (3e-3: 1,720).
 * - fire, and the FIRE relaxations inside bh and random: JAX MD's dt_start 0.1.
 * - learned: unused (the network sets its own step); kept for a uniform replica layout.
 */
export const DEFAULT_STEP: Record<Method, number> = {
  gd: 1e-3,
  adam: 1e-2,
  fire: 0.1,
  bh: 0.1,
  random: 0.1,
  learned: 0.1,
};

/** Largest atom displacement per step: ASE's default maxstep for FIRE, 0.2 (Angstrom there).
 * JAX MD has none; without one a first step from two atoms 0.8 bond lengths apart can throw an
 * atom out of the cluster. */
export const DEFAULT_MAX_STEP = 0.2;

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

/** Bimetallic basin hopping: one hop in ten exchanges two unlike atoms, so homotops are explored
 * besides geometries. */
export const DEFAULT_SWAP_PROBABILITY = 0.1;

/**
 * Learned optimizer: the energy per atom by which its energy-gap feature
 * tanh((E - E_best) / (N scale)) divides, 1 in the system's energy unit (epsilon for LJ, eV for
 * Gupta and silicon). Binding energies per atom of the supported potentials are 3 to 9 such units,
 * so the feature tells small gaps apart and saturates only for gaps of that order. The same value
 * for every system, so a checkpoint sees the feature scaled as in meta-training (where
 * OptimizerSettings' default is also 1).
 */
export const LEARNED_ENERGY_SCALE = 1;

/**
 * The batch-wide settings for `method` on `system`: DEFAULT_SETTINGS with DEFAULT_MAX_STEP, the
 * basin-hopping defaults where they apply, random restarts placed like `randomStructures`, and
 * the learned optimizer's length and energy units. Those are the system's bond length (its
 * features and steps are measured in bond lengths, as in meta-training) and LEARNED_ENERGY_SCALE;
 * other methods ignore them.
 */
export function defaultSettings(system: System, method: Method): OptimizerSettings {
  const hopping = method === "bh";
  return {
    ...DEFAULT_SETTINGS,
    maxStep: DEFAULT_MAX_STEP,
    adaptInterval: hopping ? DEFAULT_ADAPT_INTERVAL : 0,
    swapProbability: hopping && system.elements.length > 1 ? DEFAULT_SWAP_PROBABILITY : 0,
    startRadius: system.box === undefined
      ? clusterRadius(system.nAtoms, system.bondLength)
      : DEFAULT_SETTINGS.startRadius,
    minDistance: MIN_DISTANCE_FACTOR * system.bondLength,
    energyScale: LEARNED_ENERGY_SCALE,
    bondLength: system.bondLength,
  };
}

/** Default per-replica hyperparameters; dr and temperature are 0 (unused) except for bh, and the
 * learned optimizer uses none of them. */
export function defaultSweeps(system: System, method: Method): HyperparameterSweeps {
  const hopping = method === "bh";
  return {
    step: DEFAULT_STEP[method],
    dr: hopping ? DR_PER_BOND_LENGTH * system.bondLength : 0,
    temperature: hopping ? DEFAULT_TEMPERATURE[system.potential.kind] : 0,
  };
}
