/**
 * The learned hopper: a residual on basin hopping, the strongest hand-designed search
 * (src/methods/basin_hopping.ts). It relaxes with basin hopping's L-BFGS and takes each hop's
 * decisions as the defaults times exp(a learned output) (src/methods/hop_control.ts):
 *   - the Metropolis temperature of this hop, the uniform move's amplitude, and the force below
 *     which the next relaxation ends (so when to hop): multipliers exp(o), o clamped to +-3;
 *   - the move mix: residual logits of the surface, swap, restart, bond-switch and kick moves
 *     (uniform's fixed; a move outside the search's mix stays out, whatever its logit);
 *   - which atom a surface move takes: the highest of (energy share + a learned per-atom score),
 *     where basin hopping takes the highest energy share.
 * A replica network (8 features -> 16 ReLU -> 8 outputs) runs once per hop on the replica's
 * features, an atom network (8 -> 8 ReLU -> 4, the first output used) once per atom before a
 * surface move; both see hop_features.ts. Their output layers start at zero, so the untrained
 * hopper IS basin hopping, and ES starts from basin hopping's quality. The network runs at hops
 * only, a few hundred flops per hop against the thousands of pair terms of each relaxation step.
 *
 * theta: the replica network's parameters, then the atom network's (mlp.ts layouts). Outputs 1
 * to 3 of the atom network fill their block of four and are not used. Outputs 6 and 7 of the
 * replica network (the bond-switch and kick logits) were unused before those moves existed:
 * checkpoints trained then steer them only where a search's mix includes them.
 *
 * Two architectures share this code: hop-residual, whose replica network sees the 8 replica
 * features, and hop-general (12 -> 16 ReLU -> 8), which also sees the 4 family features of
 * hop_features.ts, so that one checkpoint can act differently on Lennard-Jones, Gupta and
 * silicon landscapes without being told which it is on.
 */
import SHADER from "../../shaders/learned_hop_control.wgsl" with { type: "text" };
import REPLICA_INPUT from "../../shaders/hop_replica_input.wgsl" with { type: "text" };
import GENERAL_REPLICA_INPUT from "../../shaders/hop_general_replica_input.wgsl" with {
  type: "text",
};
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
  FAMILY_FEATURES,
  familyFeatures,
  type FeatureScales,
  NEIGHBOUR_NORM,
  RADIAL_CENTRES,
  RADIAL_WIDTH,
  REPLICA_FEATURES,
  replicaFeatures,
  TINY,
} from "./hop_features.ts";
import { MlpLayout } from "./mlp.ts";

/** The replica network's outputs, in order. */
export const HOP_OUTPUTS = [
  "logTemperatureScale",
  "logDrScale",
  "logHopFmaxScale",
  "surfaceLogit",
  "swapLogit",
  "restartLogit",
  "bondSwitchLogit",
  "kickLogit",
] as const;

/** Each output is clamped to +-this before use: multipliers stay within [1/20, 20]. */
export const OUTPUT_LIMIT = 3;

/** The features' names of hop-residual, recorded in checkpoints: replica features, then atom
 * features. */
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

/** hop-general's: the replica features, the family features, then the atom features. */
export const GENERAL_HOPPER_FEATURES = [
  ...HOPPER_FEATURES.slice(0, REPLICA_FEATURES),
  "mean_coordination",
  "several_elements",
  "atom_energy_spread",
  "log_relax_steps",
  ...HOPPER_FEATURES.slice(REPLICA_FEATURES),
] as const;

/** What the hopper needs from the system. */
export interface HopperSettings {
  bondLength: number;
  energyScale: number;
  /** Elements in the system (the species feature). */
  nSpecies: number;
  /** The periodic box's side (family features), undefined for a cluster. */
  box?: number;
}

function scales(system: { bondLength: number }, energyScale: number): FeatureScales {
  return {
    bondLength: system.bondLength,
    energyScale,
    defaultDr: DR_PER_BOND_LENGTH * system.bondLength,
  };
}

const clamp = (value: number) => Math.max(-OUTPUT_LIMIT, Math.min(OUTPUT_LIMIT, value));

/** A hopper architecture: its networks, where they sit in theta, and what it runs. */
export class Hopper {
  readonly replicaNetwork: MlpLayout;
  readonly atomNetwork = new MlpLayout([ATOM_FEATURES, 8, 4]);
  /** Where the atom network's parameters start in theta. */
  readonly atomNetworkOffset: number;
  readonly parameterCount: number;
  readonly architecture: Architecture;
  readonly features: readonly string[];

  constructor(name: string, readonly seesFamily: boolean) {
    const inputs = REPLICA_FEATURES + (seesFamily ? FAMILY_FEATURES : 0);
    this.replicaNetwork = new MlpLayout([inputs, 16, 8]);
    this.atomNetworkOffset = this.replicaNetwork.parameterCount;
    this.parameterCount = this.atomNetworkOffset + this.atomNetwork.parameterCount;
    this.architecture = {
      name,
      inputs,
      hidden: [16],
      outputs: 8,
      parameterCount: this.parameterCount,
    };
    this.features = seesFamily ? GENERAL_HOPPER_FEATURES : HOPPER_FEATURES;
  }

  /** The hop controller on a system (weights are bound per batch). */
  control(settings: HopperSettings): HopControl {
    const s = scales(settings, settings.energyScale);
    const vec4 = (index: number) => index / 4;
    const { replicaNetwork, atomNetwork, atomNetworkOffset, parameterCount, seesFamily } = this;
    const offsets = {
      HOPPER_VEC4S: vec4(parameterCount),
      REPLICA_INPUT_VEC4S: vec4(replicaNetwork.sizes[0]),
      ATOM_L0: vec4(atomNetworkOffset),
    };
    return {
      name: this.architecture.name,
      shader: [
        replicaNetwork.wgsl("replica_mlp"),
        atomNetwork.wgsl("atom_mlp"),
        SHADER,
        seesFamily ? GENERAL_REPLICA_INPUT : REPLICA_INPUT,
      ].join("\n"),
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
        HOP_SEVERAL_ELEMENTS: { f32: settings.nSpecies > 1 ? 1 : 0 },
      },
      parameterCount,
      // hop_decide: the replica network (family features: a pair loop of N for each owned atom,
      // and one over them for the energies' spread, 2 reductions); rank_atoms: 3 loops over the
      // owned atoms for the energies' spread and the centre, then for each a pair loop of N and
      // the atom network, 3 reductions.
      cost: (n, owned) =>
        replicaNetwork.iterations + 3 * owned + owned * (n + atomNetwork.iterations) +
        (seesFamily ? owned * (n + 1) : 0),
      reductions: seesFamily ? 5 : 3,
      mirror: ({ weights, weightsIndex }) => {
        const offset = weightsIndex * parameterCount;
        return {
          decide(view: HopView): HopDecision {
            const features = seesFamily
              ? Float64Array.of(...replicaFeatures(view, s), ...familyFeatures(view, s))
              : replicaFeatures(view, s);
            const o = replicaNetwork.forward(weights, offset, features).map(clamp);
            return {
              temperatureScale: Math.exp(o[0]),
              drScale: Math.exp(o[1]),
              hopFmaxScale: Math.exp(o[2]),
              logits: {
                ...DEFAULT_DECISION.logits,
                surface: o[3],
                swap: o[4],
                restart: o[5],
                bond_switch: o[6],
                kick: o[7],
              },
            };
          },
          rankAtoms(view: HopView): Float64Array {
            const features = atomFeatures(view, s);
            const rank = new Float64Array(view.n);
            for (let i = 0; i < view.n; i++) {
              const input = features.subarray(i * ATOM_FEATURES, (i + 1) * ATOM_FEATURES);
              const score = clamp(
                atomNetwork.forward(weights, offset + atomNetworkOffset, input)[0],
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
  spec(system: System, energyScale: number): MethodSpec {
    return basinHoppingSpec(
      system,
      this.control({
        bondLength: system.bondLength,
        energyScale,
        nSpecies: system.elements.length,
        box: system.box,
      }),
    );
  }

  /**
   * A starting theta: the hidden layers random (standard deviation scale / sqrt(fan-in)), biases
   * and both output layers zero, so every decision starts at basin hopping's.
   */
  initialTheta(seed: number, scale = 1): Float32Array {
    const theta = new Float32Array(this.parameterCount);
    const rng = new Rng(seed);
    this.replicaNetwork.initialize(theta, 0, rng, scale, true);
    this.atomNetwork.initialize(theta, this.atomNetworkOffset, rng, scale, true);
    return theta;
  }
}

export const HOPPER = new Hopper("hop-residual", false);
export const GENERAL_HOPPER = new Hopper("hop-general", true);
