/**
 * Settings of the batched optimizers and basin hopping, shared by every replica of a run (the
 * per-replica ones, step size, dr, temperature and seed, live in `ReplicaHyperparameters`).
 * Lengths and energies are in the system's units (reduced for LJ; Angstrom and eV otherwise);
 * FIRE's time unit assumes unit masses, as JAX MD does.
 */

export const METHODS = ["gd", "adam", "fire", "bh", "random", "learned"] as const;
export type Method = typeof METHODS[number];

/** Kernel method codes (shaders/optimize.wgsl). */
export const METHOD_CODES: Record<Method, number> = {
  gd: 0,
  adam: 1,
  fire: 2,
  bh: 3,
  random: 4,
  learned: 5,
};

export interface FireConstants {
  dtMax: number;
  nMin: number;
  fInc: number;
  fDec: number;
  alphaStart: number;
  fAlpha: number;
}

/** FIRE (Bitzek et al., PRL 97, 170201 (2006)) with JAX MD's defaults (dt_start 0.1 is the
 * per-replica step). */
export const JAX_MD_FIRE: FireConstants = {
  dtMax: 0.4,
  nMin: 5,
  fInc: 1.1,
  fDec: 0.5,
  alphaStart: 0.1,
  fAlpha: 0.99,
};

export interface AdamConstants {
  beta1: number;
  beta2: number;
  epsilon: number;
}

/** Kingma & Ba (2015). */
export const ADAM: AdamConstants = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };

export interface OptimizerSettings {
  /** Convergence: the largest per-atom force below this ends a relaxation. */
  fmax: number;
  /** Largest displacement of an atom in one step: GD and Adam cap each atom, FIRE scales the
   * whole step when its largest atom displacement exceeds it (ASE's maxstep). Infinity: none. */
  maxStep: number;
  /** Clusters: atoms farther than this from the centre of mass are put back on the sphere.
   * 0: no container. */
  containerRadius: number;
  fire: FireConstants;
  adam: AdamConstants;
  /** Basin hopping: a relaxation also ends after this many steps. */
  relaxStepCap: number;
  /** Basin hopping: every this many hops, dr is multiplied by adaptFactor if more than half were
   * accepted, else divided by it (GMIN's rule). 0: dr stays fixed. */
  adaptInterval: number;
  adaptFactor: number;
  /** Bimetallic basin hopping: probability that a hop swaps two unlike atoms instead of
   * displacing all atoms. */
  swapProbability: number;
  /** Random restarts: clusters start uniform in a sphere of this radius (periodic: the box),
   * atoms at least minDistance apart where a few trials allow. */
  startRadius: number;
  minDistance: number;
  /** Learned optimizer: the system's energy scale (per atom) and bond length, which make its
   * features and steps dimensionless (src/learned/features.ts). */
  energyScale: number;
  bondLength: number;
}

/** The default settings; `startRadius` and `minDistance` follow the system (see
 * `defaultSettings` in the search module). */
export const DEFAULT_SETTINGS: OptimizerSettings = {
  fmax: 1e-3,
  maxStep: Infinity,
  containerRadius: 0,
  fire: JAX_MD_FIRE,
  adam: ADAM,
  relaxStepCap: 1000,
  adaptInterval: 0,
  adaptFactor: 1.1,
  swapProbability: 0,
  startRadius: 1,
  minDistance: 0,
  energyScale: 1,
  bondLength: 1,
};

/** What may differ between replicas of one batch, so a batch can sweep hyperparameters. */
export interface ReplicaHyperparameters {
  /** GD step size, Adam learning rate, or FIRE's starting time step (JAX MD: 0.1). */
  step: number;
  /** Basin hopping: displacement amplitude per coordinate. */
  dr: number;
  /** Basin hopping: Metropolis temperature (energy units; 0 accepts only downhill). */
  temperature: number;
  /** Seed of the replica's random stream. */
  seed: number;
  /** Which stream of that seed (default: the replica's index). Replicas given the same seed and
   * stream draw the same random numbers, e.g. ES population members on one task. */
  stream?: number;
  /** Learned optimizer: index of the weight vector (ES population member) the replica uses. */
  weights?: number;
}
