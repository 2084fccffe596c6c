/**
 * The learned optimizer's inputs and step, per atom, after learned_optimization's explicit
 * feature lists. Every feature is invariant under translations and rotations of the replica
 * (norms, cosines, energies, counters), and the step is built from the atom's own vectors, so the
 * optimizer is translation- and rotation-equivariant whatever its weights. shaders/methods/learned_mlp.wgsl
 * computes exactly this; ReferenceReplica uses it for the f64 mirror.
 *
 * Per replica, before the atoms: momenta m_k = b_k m_k + (1 - b_k) F for b = 0.5, 0.9, 0.99
 * (force momenta, i.e. of -gradient), and root-mean-square norms over atoms
 * rms(v) = sqrt(mean_i |v_i|^2) + 1e-12.
 */

export const MOMENTUM_DECAYS = [0.5, 0.9, 0.99] as const;
/** The step's length unit: STEP_SCALE bond lengths times exp(log-step output). */
export const STEP_SCALE = 0.01;
/** Noise amplitude is exp(output + NOISE_BIAS) bond lengths: ~3e-4 at a zero output. */
export const NOISE_BIAS = -8;
/** Keeps norms and cosines finite at zero vectors. */
export const TINY = 1e-12;

/** The 16 inputs, in order (the checkpoint records this list). */
export const FEATURE_NAMES = [
  "force / rms(force)",
  "tanh(log10(rms(force)) / 2)",
  "|m0.5| / rms(m0.5)",
  "|m0.9| / rms(m0.9)",
  "|m0.99| / rms(m0.99)",
  "cos(force, m0.5)",
  "cos(force, m0.9)",
  "cos(force, m0.99)",
  "tanh((E - E_best) / (N * energy scale))",
  "tanh(steps since best / 10 - 1)",
  "tanh(steps since best / 100 - 1)",
  "tanh(step / 10 - 1)",
  "tanh(step / 100 - 1)",
  "tanh(step / 1000 - 1)",
  "tanh(|x - x_best| / bond)",
  "cos(force, x - x_best)",
] as const;

/** What the features need from the whole replica. */
export interface ReplicaSummary {
  rmsForce: number;
  /** rms of each momentum, in MOMENTUM_DECAYS order. */
  rmsMomenta: number[];
  /** tanh((E - E_best) / (N * energy scale)). */
  energyGap: number;
  sinceBest: number;
  step: number;
}

type Vec3 = ArrayLike<number>;

export function rms(squaredSum: number, n: number): number {
  return Math.sqrt(squaredSum / n) + TINY;
}

function norm(v: Vec3): number {
  return Math.hypot(v[0], v[1], v[2]);
}

function cosine(a: Vec3, b: Vec3): number {
  return (a[0] * b[0] + a[1] * b[1] + a[2] * b[2]) / (norm(a) * norm(b) + TINY);
}

/** Atom i's features from its force, momenta (MOMENTUM_DECAYS order) and x - x_best. */
export function atomFeatures(
  force: Vec3,
  momenta: Vec3[],
  fromBest: Vec3,
  replica: ReplicaSummary,
  bondLength: number,
): Float64Array {
  const time = (t: number, tau: number) => Math.tanh(t / tau - 1);
  return Float64Array.of(
    norm(force) / replica.rmsForce,
    Math.tanh(Math.log10(replica.rmsForce) / 2),
    ...momenta.map((m, k) => norm(m) / replica.rmsMomenta[k]),
    ...momenta.map((m) => cosine(force, m)),
    replica.energyGap,
    time(replica.sinceBest, 10),
    time(replica.sinceBest, 100),
    time(replica.step, 10),
    time(replica.step, 100),
    time(replica.step, 1000),
    Math.tanh(norm(fromBest) / bondLength),
    cosine(force, fromBest),
  );
}

/**
 * Atom i's displacement before the max-step cap, from the network's outputs
 * [a_F, a_m, s, n]:
 *   STEP_SCALE bond exp(s) (a_F F / rms(F) + a_m m0.9 / rms(m0.9)) + bond exp(n + NOISE_BIAS) xi
 * with xi three standard normal numbers.
 */
export function atomStep(
  outputs: ArrayLike<number>,
  force: Vec3,
  momentum09: Vec3,
  replica: ReplicaSummary,
  bondLength: number,
  xi: Vec3,
): number[] {
  const scale = STEP_SCALE * bondLength * Math.exp(outputs[2]);
  const a = scale * outputs[0] / replica.rmsForce;
  const b = scale * outputs[1] / replica.rmsMomenta[1];
  const noise = bondLength * Math.exp(outputs[3] + NOISE_BIAS);
  return [0, 1, 2].map((c) => a * force[c] + b * momentum09[c] + noise * xi[c]);
}
