/**
 * fire-residual: the paper's per-step learned optimizer as a zero-initialised residual on FIRE
 * (src/methods/fire.ts), a local method run free (shaders/methods/fire_residual.wgsl).
 *
 * Every step is FIRE's step (JAX MD's velocity Verlet with ASE's maxstep, JAX_MD_FIRE's
 * constants, dt_start the replica's `step`). Before each step one small network, per atom, on the
 * atom's and the replica's features (FIRE_RESIDUAL_FEATURES), gives two outputs:
 *   - o_step: atom i moves by FIRE's displacement dt scale v_i times exp(clamp(o_step, +-3)), so
 *     the step shrinks with the force exactly as FIRE's does (FIRE at o_step = 0); where the
 *     factor exceeds 1 the move is capped at maxStep;
 *   - o_kick: plus a random kick of rms length KICK_SCALE bond clamp(o_kick, 0, 3), a Gaussian
 *     with KICK_SCALE bond clamp(o_kick, 0, 3) / sqrt(3) per coordinate, from the replica's random
 *     stream: nothing at o_kick <= 0, a basin-hopping-sized move (about DR_PER_BOND_LENGTH bond
 *     lengths) at o_kick = 1, one unit of output from the start.
 * (Outputs 2 and 3 fill the block of four and are not used.) The output layer starts at zero and
 * the hidden layers random (`initialFireResidualTheta`), so the untrained optimizer IS FIRE,
 * trajectory for trajectory, and ES starts from FIRE's quality; the kick is how it learns to hop.
 * This repairs per-atom-mlp (per_atom_mlp.ts), whose step is divided by rms(F) (1e-2 bond lengths
 * at every force level, so it cannot settle) and whose noise starts at 3e-4 bond lengths (so it
 * cannot hop).
 *
 * The kick is continuous in o_kick, so a small positive output kicks at every step: a kick bias
 * of 0.017 (two Adam steps of learning rate 0.01 from the start, on LJ7) keeps LJ13's fmax near 7
 * for 500 evaluations, where the same weights without the kick settle to 5e-14 (f64 mirror).
 * Training has to learn to keep o_kick <= 0 while a replica settles and to raise it to hop.
 *
 * The network, 12 -> 16 (ReLU) -> 16 (ReLU) -> 4, in mlp.ts's layout. Every feature is invariant
 * under rotations and translations, and the step is built from the atom's own velocity and an
 * isotropic kick, so the optimizer is equivariant whatever its weights.
 *
 * State: FIRE's (dt, alpha, the count of steps with positive power; plane VELOCITY).
 */
import SHADER from "../../shaders/methods/fire_residual.wgsl" with { type: "text" };
import { Rng } from "../core/rng.ts";
import {
  FIRE_COMMON_SHADER,
  FIRE_STATE,
  type FireConstants,
  FireMirrorState,
  fireShaderConstants,
  JAX_MD_FIRE,
} from "../methods/fire.ts";
import type { LocalMethod, LocalMirror, MirrorReplica } from "../methods/local_method.ts";
import type { MethodSpec } from "../methods/method_spec.ts";
import { DEFAULT_STEP } from "../methods/registry.ts";
import type { System } from "../systems/system.ts";
import type { Architecture } from "./checkpoint.ts";
import { MlpLayout } from "./mlp.ts";

export const FIRE_RESIDUAL_LAYER_SIZES = [12, 16, 16, 4] as const;
export const FIRE_RESIDUAL_NETWORK = new MlpLayout(FIRE_RESIDUAL_LAYER_SIZES);
export const FIRE_RESIDUAL_PARAMETERS = FIRE_RESIDUAL_NETWORK.parameterCount;

export const FIRE_RESIDUAL_ARCHITECTURE: Architecture = {
  name: "fire-residual",
  inputs: FIRE_RESIDUAL_LAYER_SIZES[0],
  hidden: [FIRE_RESIDUAL_LAYER_SIZES[1], FIRE_RESIDUAL_LAYER_SIZES[2]],
  outputs: FIRE_RESIDUAL_LAYER_SIZES[3],
  parameterCount: FIRE_RESIDUAL_PARAMETERS,
};

/**
 * The 12 inputs, in order (the checkpoint records this list). F_i is atom i's force before the
 * step, rms(F) = sqrt(mean_i |F_i|^2) + TINY, max|F| = max_i |F_i| + TINY; v_i is FIRE's velocity
 * after the step's first half kick (what atom i moves along); the power P = sum_i F_i . v_i is
 * taken with the velocity before it (0 on a fresh or reset velocity).
 */
export const FIRE_RESIDUAL_FEATURES = [
  "tanh(ln(|F_i| / rms(F)) / 2)",
  "|F_i| / max|F|",
  "tanh(log10(rms(F)) / 4)",
  "cos(F_i, v_i)",
  "sign(F . v)",
  "dt / dt_max",
  "alpha / alpha_start",
  "tanh(steps of positive power / N_min - 1)",
  "tanh((E - E_best) / (N * energy scale))",
  "tanh(steps since best / 10 - 1)",
  "tanh(steps since best / 100 - 1)",
  "tanh(|x_i - x_best_i| / bond)",
] as const;

/** The network's outputs used (the other two are not). */
export const FIRE_RESIDUAL_OUTPUT = { logStep: 0, kick: 1 } as const;

/** The kick's rms length per unit of o_kick, in bond lengths (basin hopping's dr is 0.32). */
export const KICK_SCALE = 0.3;
/** o_step is clamped to +-this (step factors within [1/20, 20]), o_kick to [0, this]. */
export const OUTPUT_LIMIT = 3;
/** Keeps norms and ratios finite at zero vectors. */
export const TINY = 1e-12;

/** What the step needs from the system: lengths in bond lengths, energies per atom in
 * `energyScale` (LEARNED_ENERGY_SCALE). */
export interface FireResidualSettings {
  maxStep: number;
  bondLength: number;
  energyScale: number;
  fire: FireConstants;
}

export function fireResidual(settings: FireResidualSettings): LocalMethod {
  const c = settings.fire;
  return {
    name: FIRE_RESIDUAL_ARCHITECTURE.name,
    shader: [
      FIRE_COMMON_SHADER,
      FIRE_RESIDUAL_NETWORK.wgsl("fire_residual_network"),
      SHADER,
    ].join("\n"),
    planes: ["VELOCITY"],
    state: FIRE_STATE,
    constants: {
      ...fireShaderConstants(c),
      FR_PARAMETER_VEC4S: FIRE_RESIDUAL_PARAMETERS / 4,
      FR_INPUT_VEC4S: FIRE_RESIDUAL_LAYER_SIZES[0] / 4,
      FR_OUTPUT_LIMIT: { f32: OUTPUT_LIMIT },
      FR_TINY: { f32: TINY },
      FR_LOG2_TO_FEATURE: { f32: Math.LN2 / Math.LN10 / 4 },
      FR_KICK_UNIT: { f32: KICK_SCALE * settings.bondLength / Math.sqrt(3) },
      FR_BOND_LENGTH: { f32: settings.bondLength },
      FR_ENERGY_SCALE: { f32: settings.energyScale },
    },
    maxStep: settings.maxStep,
    parameterCount: FIRE_RESIDUAL_PARAMETERS,
    // The sums and half kick, the atom loop with the network's iterations per atom, FIRE's loops
    // after the evaluation (second half kick, mixing, reset).
    cost: (n) => ({
      step: (6 + FIRE_RESIDUAL_NETWORK.iterations) * n,
      reset: n,
      loadStore: 2 * n,
      reductions: 4,
      drawsPerAtom: 6,
    }),
    mirror: ({ weights, weightsIndex }) => new FireResidualMirror(settings, weights, weightsIndex),
  };
}

/** The architecture's spec on a system: the local method run free, minima logged below fmax. */
export function fireResidualSpec(
  system: System,
  settings: { maxStep: number; fmax: number; containerRadius: number; energyScale: number },
): MethodSpec {
  return {
    local: fireResidual({
      maxStep: settings.maxStep,
      bondLength: system.bondLength,
      energyScale: settings.energyScale,
      fire: JAX_MD_FIRE,
    }),
    driver: { mode: "free", fmax: settings.fmax },
    containerRadius: settings.containerRadius,
  };
}

/** Each replica's hyperparameters: FIRE's dt_start (JAX MD's 0.1, DEFAULT_STEP.fire). */
export function fireResidualHyperparameters(_system: System, seed: number) {
  return { step: DEFAULT_STEP.fire, dr: 0, temperature: 0, seed };
}

/**
 * A starting theta: hidden layers normal with standard deviation scale / sqrt(fan-in), biases
 * and the whole output layer zero, so both outputs are 0 and every step is FIRE's.
 */
export function initialFireResidualTheta(seed: number, scale = 1): Float32Array {
  const theta = new Float32Array(FIRE_RESIDUAL_PARAMETERS);
  FIRE_RESIDUAL_NETWORK.initialize(theta, 0, new Rng(seed), scale, true);
  return theta;
}

/** What the features need from the whole replica. */
export interface FireResidualSummary {
  rmsForce: number;
  largestForce: number;
  /** Sign of F . v before the step's half kick. */
  powerSign: number;
  dt: number;
  alpha: number;
  nPositive: number;
  /** tanh((E - E_best) / (N energy scale)). */
  energyGap: number;
  sinceBest: number;
}

type Vec3 = ArrayLike<number>;

function norm(v: Vec3): number {
  return Math.hypot(v[0], v[1], v[2]);
}

/** Atom i's features (FIRE_RESIDUAL_FEATURES) from its force, half-kicked velocity and
 * x_i - x_best_i (minimum image). */
export function fireResidualFeatures(
  force: Vec3,
  velocity: Vec3,
  fromBest: Vec3,
  replica: FireResidualSummary,
  settings: { bondLength: number; fire: FireConstants },
): Float64Array {
  const c = settings.fire;
  const f = norm(force);
  const ratio = f / replica.rmsForce;
  const dot = force[0] * velocity[0] + force[1] * velocity[1] + force[2] * velocity[2];
  return Float64Array.of(
    (ratio - 1) / (ratio + 1),
    f / replica.largestForce,
    Math.tanh(Math.log10(replica.rmsForce) / 4),
    dot / (f * norm(velocity) + TINY),
    replica.powerSign,
    replica.dt / c.dtMax,
    replica.alpha / c.alphaStart,
    Math.tanh(replica.nPositive / c.nMin - 1),
    replica.energyGap,
    Math.tanh(replica.sinceBest / 10 - 1),
    Math.tanh(replica.sinceBest / 100 - 1),
    Math.tanh(norm(fromBest) / settings.bondLength),
  );
}

/** exp(clamp(o_step)) and the kick's rms length clamp(o_kick, 0, limit) KICK_SCALE bond. */
export function fireResidualFactors(
  outputs: ArrayLike<number>,
  bondLength: number,
): { stepFactor: number; kick: number } {
  const clamp = (value: number, low: number) => Math.min(Math.max(value, low), OUTPUT_LIMIT);
  return {
    stepFactor: Math.exp(clamp(outputs[FIRE_RESIDUAL_OUTPUT.logStep], -OUTPUT_LIMIT)),
    kick: KICK_SCALE * bondLength * clamp(outputs[FIRE_RESIDUAL_OUTPUT.kick], 0),
  };
}

/** The f64 mirror: fire.ts's FIRE step, with the network's factor and kick. */
class FireResidualMirror implements LocalMirror {
  readonly #fire: FireMirrorState;

  constructor(
    readonly settings: FireResidualSettings,
    readonly weights: ArrayLike<number> | undefined,
    readonly weightsIndex: number,
  ) {
    if (weights === undefined) throw new Error("the learned method needs weights");
    this.#fire = new FireMirrorState(settings.fire);
  }

  reset(r: MirrorReplica) {
    this.#fire.reset(r);
  }

  step(r: MirrorReplica) {
    const { x, f, n } = r;
    const { v, dt, alpha, positive } = this.#fire;
    const { maxStep, bondLength, energyScale } = this.settings;
    let f2 = 0;
    let fmax2 = 0;
    let power = 0;
    let largest2 = 0;
    for (let i = 0; i < n; i++) {
      let fi2 = 0;
      let vi2 = 0;
      for (let k = 3 * i; k < 3 * i + 3; k++) {
        power += f[k] * v[k];
        v[k] += 0.5 * dt * f[k];
        fi2 += f[k] * f[k];
        vi2 += v[k] * v[k];
      }
      f2 += fi2;
      fmax2 = Math.max(fmax2, fi2);
      largest2 = Math.max(largest2, vi2);
    }
    const largest = dt * Math.sqrt(largest2);
    const scale = largest > maxStep ? maxStep / largest : 1;
    const summary: FireResidualSummary = {
      rmsForce: Math.sqrt(f2 / n) + TINY,
      largestForce: Math.sqrt(fmax2) + TINY,
      powerSign: Math.sign(power),
      dt,
      alpha,
      nPositive: positive,
      energyGap: Math.tanh((r.energy - r.bestEnergy) / (n * energyScale)),
      sinceBest: r.sinceBest,
    };
    const offset = this.weightsIndex * FIRE_RESIDUAL_PARAMETERS;
    const kickUnit = 1 / Math.sqrt(3);
    for (let i = 0; i < n; i++) {
      const at = (a: Float64Array) => a.subarray(3 * i, 3 * i + 3);
      const fromBest = [0, 1, 2].map((k) =>
        r.minimumImage(x[3 * i + k] - r.bestPositions[3 * i + k])
      );
      const features = fireResidualFeatures(at(f), at(v), fromBest, summary, this.settings);
      const outputs = FIRE_RESIDUAL_NETWORK.forward(this.weights!, offset, features);
      const { stepFactor, kick } = fireResidualFactors(outputs, bondLength);
      const xi = [r.rng.normal24(), r.rng.normal24(), r.rng.normal24()];
      const d = [0, 1, 2].map((k) => stepFactor * (scale * dt * v[3 * i + k]));
      const length = Math.hypot(d[0], d[1], d[2]);
      const cap = stepFactor > 1 && length > maxStep ? maxStep / length : 1;
      for (let k = 0; k < 3; k++) x[3 * i + k] += d[k] * cap + kick * kickUnit * xi[k];
    }
    r.constrain();
    r.evaluate();
    if (!r.diverged) this.#fire.finish(r);
  }
}
