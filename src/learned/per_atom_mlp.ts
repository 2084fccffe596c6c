/**
 * The per-atom MLP learned optimizer as a local method of the fused kernel
 * (shaders/methods/learned_mlp.wgsl): the network of architecture.ts on the features of
 * features.ts, a step along the force and the 0.9 momentum with a learned length and noise, each
 * atom's move capped at maxStep. State: three force momenta (planes M05, M09, M099).
 */
import SHADER from "../../shaders/methods/learned_mlp.wgsl" with { type: "text" };
import type { LocalMethod, LocalMirror, MirrorReplica } from "../methods/local_method.ts";
import { mlpForward, PARAMETER_COUNT, PER_ATOM_NETWORK } from "./architecture.ts";
import {
  atomFeatures,
  atomStep,
  MOMENTUM_DECAYS,
  NOISE_BIAS,
  rms,
  STEP_SCALE,
  TINY,
} from "./features.ts";

/** What the learned step needs from the system: lengths in bond lengths, energies per atom in
 * `energyScale` (features.ts). */
export interface LearnedStepSettings {
  maxStep: number;
  bondLength: number;
  energyScale: number;
}

export function perAtomMlp(settings: LearnedStepSettings): LocalMethod {
  return {
    name: "per-atom-mlp",
    shader: `${PER_ATOM_NETWORK.wgsl("per_atom_network")}\n${SHADER}`,
    planes: ["M05", "M09", "M099"],
    state: { name: "LocalState", fields: [] },
    constants: {
      PARAMETER_VEC4S: PARAMETER_COUNT / 4,
      STEP_SCALE: { f32: STEP_SCALE },
      NOISE_BIAS: { f32: NOISE_BIAS },
      TINY: { f32: TINY },
      ...Object.fromEntries(
        MOMENTUM_DECAYS.map((decay, k) => [`MOMENTUM_DECAY_${k}`, { f32: decay }]),
      ),
      LEARNED_BOND_LENGTH: { f32: settings.bondLength },
      LEARNED_ENERGY_SCALE: { f32: settings.energyScale },
    },
    maxStep: settings.maxStep,
    parameterCount: PARAMETER_COUNT,
    // Two atom loops (4 iterations of bookkeeping) with the network's iterations per atom.
    cost: (n) => ({
      step: (4 + PER_ATOM_NETWORK.iterations) * n,
      reset: n,
      loadStore: 0,
      reductions: 2,
      drawsPerAtom: 6,
    }),
    mirror: ({ weights, weightsIndex }) => new PerAtomMlpMirror(settings, weights, weightsIndex),
  };
}

class PerAtomMlpMirror implements LocalMirror {
  #momenta: Float64Array[] = [];

  constructor(
    readonly settings: LearnedStepSettings,
    readonly weights: ArrayLike<number> | undefined,
    readonly weightsIndex: number,
  ) {
    if (weights === undefined) throw new Error("the learned method needs weights");
  }

  reset(r: MirrorReplica) {
    this.#momenta = MOMENTUM_DECAYS.map(() => new Float64Array(3 * r.n));
  }

  step(r: MirrorReplica) {
    const { x, f, n } = r;
    const { bondLength, energyScale, maxStep } = this.settings;
    let force2 = 0;
    const momentum2 = [0, 0, 0];
    for (let k = 0; k < 3 * n; k++) {
      force2 += f[k] * f[k];
      MOMENTUM_DECAYS.forEach((decay, d) => {
        const m = this.#momenta[d];
        m[k] = decay * m[k] + (1 - decay) * f[k];
        momentum2[d] += m[k] * m[k];
      });
    }
    const summary = {
      rmsForce: rms(force2, n),
      rmsMomenta: momentum2.map((sum) => rms(sum, n)),
      energyGap: Math.tanh((r.energy - r.bestEnergy) / (n * energyScale)),
      sinceBest: r.sinceBest,
      step: r.evaluations,
    };
    const offset = this.weightsIndex * PARAMETER_COUNT;
    const at = (v: Float64Array, i: number) => v.subarray(3 * i, 3 * i + 3);
    for (let i = 0; i < n; i++) {
      const force = at(f, i);
      const momenta = this.#momenta.map((m) => at(m, i));
      const fromBest = [0, 1, 2].map((c) => x[3 * i + c] - r.bestPositions[3 * i + c]);
      const features = atomFeatures(force, momenta, fromBest, summary, bondLength);
      const outputs = mlpForward(this.weights!, offset, features);
      const xi = [0, 1, 2].map(() => r.rng.normal24());
      const [dx, dy, dz] = atomStep(outputs, force, momenta[1], summary, bondLength, xi);
      r.moveCapped(i, dx, dy, dz, maxStep);
    }
    r.constrain();
    r.evaluate();
  }
}
