/**
 * Learned-optimizer architectures side by side, by name (after learned_optimization's several
 * learned-optimizer classes): each says what its checkpoints record (network shape, features)
 * and makes its local method for a system. A checkpoint names its architecture and loads into the
 * matching entry.
 */
import type { LocalMethod } from "../methods/local_method.ts";
import { ARCHITECTURE, initialTheta } from "./architecture.ts";
import type { Architecture } from "./checkpoint.ts";
import { FEATURE_NAMES } from "./features.ts";
import { type LearnedStepSettings, perAtomMlp } from "./per_atom_mlp.ts";

export interface LearnedArchitecture {
  description: Architecture;
  features: readonly string[];
  /** The local method with these step settings (weights are bound per batch). */
  method(settings: LearnedStepSettings): LocalMethod;
  initialTheta(seed: number, scale?: number): Float32Array;
}

export const ARCHITECTURES: Record<string, LearnedArchitecture> = {
  [ARCHITECTURE.name]: {
    description: ARCHITECTURE,
    features: FEATURE_NAMES,
    method: perAtomMlp,
    initialTheta,
  },
};

export const DEFAULT_ARCHITECTURE = ARCHITECTURE.name;
