/**
 * Learned-optimizer architectures side by side, by name (after learned_optimization's several
 * learned-optimizer classes): each says what its checkpoints record (network shape, features),
 * what the fused kernel runs for it on a system, and how its weights start. A checkpoint names its
 * architecture and loads into the matching entry.
 * - per-atom-mlp: the paper's per-step form, a local method run free (per_atom_mlp.ts);
 * - hop-residual: a hop controller on basin hopping, zero-initialised so it starts as basin
 *   hopping (hopper.ts); hop-general, the same seeing features that tell families apart;
 * - fire-residual: the per-step form repaired, a per-atom residual on FIRE's step (a learned step
 *   factor and a learned random kick), zero-initialised so it starts as FIRE, run free
 *   (fire_residual.ts).
 */
import { basinHoppingHyperparameters } from "../methods/basin_hopping.ts";
import type { MethodSpec, ReplicaHyperparameters } from "../methods/method_spec.ts";
import type { System } from "../systems/system.ts";
import { ARCHITECTURE, initialTheta } from "./architecture.ts";
import type { Architecture } from "./checkpoint.ts";
import { FEATURE_NAMES } from "./features.ts";
import {
  FIRE_RESIDUAL_ARCHITECTURE,
  FIRE_RESIDUAL_FEATURES,
  fireResidualHyperparameters,
  fireResidualSpec,
  initialFireResidualTheta,
} from "./fire_residual.ts";
import { GENERAL_HOPPER, HOPPER, type Hopper } from "./hopper.ts";
import { perAtomMlp } from "./per_atom_mlp.ts";

/** How a learned optimizer runs on a system: the largest move per step (length), the force
 * below which a free-running optimizer logs a minimum, the container (clusters). */
export interface LearnedRunSettings {
  maxStep: number;
  fmax: number;
  containerRadius: number;
  /** Energies per atom in this unit (LEARNED_ENERGY_SCALE). */
  energyScale: number;
}

export interface LearnedArchitecture {
  description: Architecture;
  features: readonly string[];
  /** What the kernel runs (weights are bound per batch). */
  spec(system: System, settings: LearnedRunSettings): MethodSpec;
  /** Each replica's step, dr and temperature on `system` (seed and stream given). */
  hyperparameters(system: System, seed: number): Omit<ReplicaHyperparameters, "stream" | "weights">;
  initialTheta(seed: number, scale?: number): Float32Array;
  /** The hand-designed method it starts from, what training compares it with at the end. */
  baseline: Baseline;
}

/** A learned architecture's baseline: `name` in words; a residual (`atZeroWeights`) is its
 * baseline at theta = 0, which then measures it; otherwise it is FIRE restarting from a fresh
 * random structure whenever a relaxation ends. */
export interface Baseline {
  name: string;
  atZeroWeights: boolean;
}

const FIRE_WITH_RESTARTS: Baseline = { name: "FIRE with random restarts", atZeroWeights: false };

export const ARCHITECTURES: Record<string, LearnedArchitecture> = {
  [ARCHITECTURE.name]: {
    description: ARCHITECTURE,
    features: FEATURE_NAMES,
    spec: (system, settings) => ({
      local: perAtomMlp({
        maxStep: settings.maxStep,
        bondLength: system.bondLength,
        energyScale: settings.energyScale,
      }),
      driver: { mode: "free", fmax: settings.fmax },
      containerRadius: settings.containerRadius,
    }),
    hyperparameters: (_system, seed) => ({ step: 0.1, dr: 0, temperature: 0, seed }),
    initialTheta,
    baseline: FIRE_WITH_RESTARTS,
  },
  [HOPPER.architecture.name]: hopperArchitecture(HOPPER),
  [GENERAL_HOPPER.architecture.name]: hopperArchitecture(GENERAL_HOPPER),
  [FIRE_RESIDUAL_ARCHITECTURE.name]: {
    description: FIRE_RESIDUAL_ARCHITECTURE,
    features: FIRE_RESIDUAL_FEATURES,
    spec: fireResidualSpec,
    hyperparameters: fireResidualHyperparameters,
    initialTheta: initialFireResidualTheta,
    baseline: FIRE_WITH_RESTARTS,
  },
};

export const DEFAULT_ARCHITECTURE = ARCHITECTURE.name;

function hopperArchitecture(hopper: Hopper): LearnedArchitecture {
  return {
    description: hopper.architecture,
    features: hopper.features,
    baseline: { name: "basin hopping", atZeroWeights: true },
    spec: (system, settings) => ({
      ...hopper.spec(system, settings.energyScale),
      containerRadius: settings.containerRadius,
    }),
    hyperparameters: basinHoppingHyperparameters,
    initialTheta: (seed, scale) => hopper.initialTheta(seed, scale),
  };
}
