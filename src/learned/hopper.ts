/**
 * The learned hopper: a residual on basin hopping, the strongest hand-designed search
 * (src/methods/basin_hopping.ts). It relaxes with basin hopping's L-BFGS and takes each hop's
 * decisions as the defaults times exp(a learned output) (src/methods/hop_control.ts):
 *   - the Metropolis temperature of this hop, the uniform move's amplitude, and the force below
 *     which the next relaxation ends (so when to hop): multipliers exp(o), o clamped to +-3;
 *   - the move mix: residual logits of the surface, swap and restart moves (uniform's fixed);
 *   - which atom a surface move takes: the highest of (energy share + a learned per-atom score),
 *     where basin hopping takes the highest energy share.
 * A replica network (8 features -> 16 ReLU -> 8 outputs) runs once per hop on the replica's
 * features, an atom network (8 -> 8 ReLU -> 4, the first output used) once per atom before a
 * surface move; both see hop_features.ts. Their output layers start at zero, so the untrained
 * hopper IS basin hopping, and ES starts from basin hopping's quality. The network runs at hops
 * only, a few hundred flops per hop against the thousands of pair terms of each relaxation step.
 *
 * theta: the replica network's parameters, then the atom network's (mlp.ts layouts). Outputs 6
 * and 7 of the replica network, and 1 to 3 of the atom network, fill their blocks of four and
 * are not used.
 */
import SHADER from "../../shaders/learned_hop_control.wgsl" with { type: "text" };
import { Rng } from "../core/rng.ts";
import { basinHoppingSpec, DR_PER_BOND_LENGTH } from "../methods/basin_hopping.ts";
import {
  DEFAULT_DECISION,
  type HopControl,
  type HopDecision,
  type HopView,
} from "../methods/hop_control.ts";
import type { MethodSpec } from "../methods/method_spec.ts";
import type { System } from "../systems/system.ts";
import type { Architecture } from "./checkpoint.ts";
import {
  ATOM_FEATURES,
  atomFeatures,
  COORDINATION_RADIUS,
  type FeatureScales,
  NEIGHBOUR_NORM,
  RADIAL_CENTRES,
  RADIAL_WIDTH,
  REPLICA_FEATURES,
  replicaFeatures,
  TINY,
} from "./hop_features.ts";
import { MlpLayout } from "./mlp.ts";

export const REPLICA_NETWORK = new MlpLayout([REPLICA_FEATURES, 16, 8]);
export const ATOM_NETWORK = new MlpLayout([ATOM_FEATURES, 8, 4]);
/** Where the atom network's parameters start in theta. */
export const ATOM_NETWORK_OFFSET = REPLICA_NETWORK.parameterCount;
export const HOPPER_PARAMETERS = REPLICA_NETWORK.parameterCount + ATOM_NETWORK.parameterCount;

/** The replica network's outputs, in order. */
export const HOP_OUTPUTS = [
  "logTemperatureScale",
  "logDrScale",
  "logHopFmaxScale",
  "surfaceLogit",
  "swapLogit",
  "restartLogit",
] as const;

/** Each output is clamped to +-this before use: multipliers stay within [1/20, 20]. */
export const OUTPUT_LIMIT = 3;

export const HOPPER_ARCHITECTURE: Architecture = {
  name: "hop-residual",
  inputs: REPLICA_FEATURES,
  hidden: [16],
  outputs: 8,
  parameterCount: HOPPER_PARAMETERS,
};

/** The features' names, recorded in checkpoints: replica features, then atom features. */
export const HOPPER_FEATURES = [
  "fmax_over_tolerance",
  "relax_fraction",
  "above_markov",
  "above_best",
  "since_best",
  "window_acceptance",
  "log_atoms",
  "dr_ratio",
  "atom_energy_z",
  "coordination",
  "radius_over_gyration",
  "radial_1.0",
  "radial_1.4",
  "radial_1.8",
  "species",
  "markov_above_best",
] as const;

/** What the hopper needs from the system. */
export interface HopperSettings {
  bondLength: number;
  energyScale: number;
  /** Elements in the system (the species feature). */
  nSpecies: number;
}

function scales(system: { bondLength: number }, energyScale: number): FeatureScales {
  return {
    bondLength: system.bondLength,
    energyScale,
    defaultDr: DR_PER_BOND_LENGTH * system.bondLength,
  };
}

const clamp = (value: number) => Math.max(-OUTPUT_LIMIT, Math.min(OUTPUT_LIMIT, value));

/** The hop controller of the hopper for a system (weights are bound per batch). */
export function hopperControl(settings: HopperSettings): HopControl {
  const s = scales(settings, settings.energyScale);
  const vec4 = (index: number) => index / 4;
  const offsets = {
    HOPPER_VEC4S: vec4(HOPPER_PARAMETERS),
    REPLICA_L0_BIAS: vec4(REPLICA_NETWORK.biasIndex(0, 0)),
    REPLICA_L1: vec4(REPLICA_NETWORK.layerOffset(1)),
    REPLICA_L1_BIAS: vec4(REPLICA_NETWORK.biasIndex(1, 0)),
    ATOM_L0: vec4(ATOM_NETWORK_OFFSET),
    ATOM_L0_BIAS: vec4(ATOM_NETWORK_OFFSET + ATOM_NETWORK.biasIndex(0, 0)),
    ATOM_L1: vec4(ATOM_NETWORK_OFFSET + ATOM_NETWORK.layerOffset(1)),
    ATOM_L1_BIAS: vec4(ATOM_NETWORK_OFFSET + ATOM_NETWORK.biasIndex(1, 0)),
  };
  return {
    name: HOPPER_ARCHITECTURE.name,
    shader: SHADER,
    constants: {
      ...offsets,
      HOP_OUTPUT_LIMIT: { f32: OUTPUT_LIMIT },
      HOP_TINY: { f32: TINY },
      HOP_BOND_LENGTH: { f32: s.bondLength },
      HOP_ENERGY_SCALE: { f32: s.energyScale },
      HOP_DEFAULT_DR: { f32: s.defaultDr },
      COORDINATION_RADIUS: { f32: COORDINATION_RADIUS * s.bondLength },
      RADIAL_CENTRE_0: { f32: RADIAL_CENTRES[0] * s.bondLength },
      RADIAL_CENTRE_1: { f32: RADIAL_CENTRES[1] * s.bondLength },
      RADIAL_CENTRE_2: { f32: RADIAL_CENTRES[2] * s.bondLength },
      RADIAL_WIDTH: { f32: RADIAL_WIDTH * s.bondLength },
      NEIGHBOUR_NORM: { f32: NEIGHBOUR_NORM },
      HOP_SPECIES_SCALE: { f32: settings.nSpecies > 1 ? 1 / (settings.nSpecies - 1) : 0 },
    },
    parameterCount: HOPPER_PARAMETERS,
    // hop_decide: 4 + 8 and 2 + 8 MLP iterations; rank_atoms: 3 N for the energies' spread and
    // the centre, N pair loops of N, 2 + 4 + 2 MLP iterations per atom.
    cost: (n) => 22 + 3 * n + n * (n + 8),
    mirror: ({ weights, weightsIndex }) => {
      const offset = weightsIndex * HOPPER_PARAMETERS;
      return {
        decide(view: HopView): HopDecision {
          const o = REPLICA_NETWORK.forward(weights, offset, replicaFeatures(view, s)).map(clamp);
          return {
            temperatureScale: Math.exp(o[0]),
            drScale: Math.exp(o[1]),
            hopFmaxScale: Math.exp(o[2]),
            logits: { ...DEFAULT_DECISION.logits, surface: o[3], swap: o[4], restart: o[5] },
          };
        },
        rankAtoms(view: HopView): Float64Array {
          const features = atomFeatures(view, s);
          const rank = new Float64Array(view.n);
          for (let i = 0; i < view.n; i++) {
            const input = features.subarray(i * ATOM_FEATURES, (i + 1) * ATOM_FEATURES);
            const score = clamp(
              ATOM_NETWORK.forward(weights, offset + ATOM_NETWORK_OFFSET, input)[0],
            );
            rank[i] = view.markovAtomEnergies[i] + s.energyScale * score;
          }
          return rank;
        },
      };
    },
  };
}

/** The hopper's search on `system`: basin hopping's defaults with the hopper deciding. */
export function hopperSpec(system: System, energyScale: number): MethodSpec {
  return basinHoppingSpec(
    system,
    hopperControl({ bondLength: system.bondLength, energyScale, nSpecies: system.elements.length }),
  );
}

/**
 * A starting theta: the hidden layers random (standard deviation scale / sqrt(fan-in)), biases
 * and both output layers zero, so every decision starts at basin hopping's.
 */
export function initialHopperTheta(seed: number, scale = 1): Float32Array {
  const theta = new Float32Array(HOPPER_PARAMETERS);
  const rng = new Rng(seed);
  REPLICA_NETWORK.initialize(theta, 0, rng, scale, true);
  ATOM_NETWORK.initialize(theta, ATOM_NETWORK_OFFSET, rng, scale, true);
  return theta;
}
