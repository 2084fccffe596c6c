/**
 * Antithetic evolution strategies (ES) for meta-training: the host side, pure TypeScript.
 *
 * For outer parameters θ (the learned optimizer's weights), a smoothing scale σ and P standard
 * normal directions e_i, the antithetic estimator of the gradient of the Gaussian-smoothed loss
 * E_e[L(θ + σe)] is (Salimans et al. 2017, "Evolution Strategies as a Scalable Alternative to
 * Reinforcement Learning"; Metz et al. 2019, "Understanding and correcting pathologies in the
 * training of learned optimizers")
 *
 *   ĝ = (1/P) Σ_i (L(θ + σe_i) − L(θ − σe_i)) / (2σ) · e_i.
 *
 * For a quadratic L the even-order terms cancel in the difference, so L(θ+σe) − L(θ−σe) = 2σ ∇L·e
 * exactly and ĝ is unbiased for ∇L itself at any σ, with per-component variance
 * (|∇L|² + (∂_k L)²) / P.
 */
import type { Rng } from "../core/rng.ts";

/** Losses of one ES population: the centre θ and each antithetic pair θ ± σe_i. */
export interface PopulationLosses {
  centre: number;
  plus: number[];
  minus: number[];
}

/** Options of {@link esGradient}. */
export interface EsGradientOptions {
  /**
   * ESMC clipping (Merchant et al. 2021, "Learn2Hop", after Metz et al. 2019 and evosax's
   * `ESMC`): use min(L+, L0) − min(L−, L0) instead of L+ − L−, so a perturbation only counts as
   * far as it improves on the centre loss L0. Default false.
   */
  clipToCentre?: boolean;
}

/** An ES gradient estimate and how many antithetic pairs had finite losses. */
export interface EsGradient {
  gradient: Float32Array;
  validPairs: number;
}

/**
 * `pairs` standard normal vectors of length `dimension`, drawn from `rng` by the Box-Muller
 * transform (Box & Muller 1958): for uniforms u1 ∈ (0, 1], u2 ∈ [0, 1),
 * z1 = √(−2 ln u1) cos(2π u2) and z2 = √(−2 ln u1) sin(2π u2).
 *
 * u1 is 1 − `rng.uniform()`, never 0, so the log is finite without rejection: every call draws
 * exactly ⌈pairs·dimension / 2⌉ uniform pairs (an odd count discards the last z2), so the
 * caller's `rng` continues the same stream whether or not it was checkpointed in between
 * (`Rng.fromState(rng.state())`). Values are computed in f64 and rounded to f32.
 */
export function esNoise(rng: Rng, pairs: number, dimension: number): Float32Array[] {
  checkCount("pairs", pairs, 1);
  checkCount("dimension", dimension, 1);
  const flat = new Float32Array(pairs * dimension);
  for (let k = 0; k < flat.length; k += 2) {
    const radius = Math.sqrt(-2 * Math.log(1 - rng.uniform()));
    const angle = 2 * Math.PI * rng.uniform();
    flat[k] = radius * Math.cos(angle);
    if (k + 1 < flat.length) flat[k + 1] = radius * Math.sin(angle);
  }
  return Array.from({ length: pairs }, (_, i) => flat.subarray(i * dimension, (i + 1) * dimension));
}

/**
 * The 1 + 2P weight vectors of one ES population, in the order the GPU batch evaluates them:
 * [θ, θ + σe_1, θ − σe_1, θ + σe_2, θ − σe_2, ...] (centre first). Each is computed in f64 and
 * rounded to f32.
 */
export function populationThetas(
  theta: Float32Array,
  noise: Float32Array[],
  sigma: number,
): Float32Array[] {
  checkSigma(sigma);
  const thetas = [Float32Array.from(theta)];
  for (const e of noise) {
    checkLength("noise vector", e, theta.length);
    thetas.push(theta.map((t, j) => t + sigma * e[j]));
    thetas.push(theta.map((t, j) => t - sigma * e[j]));
  }
  return thetas;
}

/**
 * The antithetic ES gradient ĝ = (1/P') Σ_i d_i / (2σ) · e_i over the P' pairs whose losses are
 * both finite, with d_i = L+_i − L−_i, or with `clipToCentre` d_i = min(L+_i, L0) − min(L−_i, L0).
 *
 * A pair with a non-finite L+ or L− (a diverged inner run) is dropped; `validPairs` counts the
 * rest, and with none left the gradient is zero. With `clipToCentre` and a non-finite centre loss
 * L0 there is nothing to clip to, so that step falls back to the unclipped differences.
 * Sums are in f64; the result is rounded to f32.
 */
export function esGradient(
  losses: PopulationLosses,
  noise: Float32Array[],
  sigma: number,
  options: EsGradientOptions = {},
): EsGradient {
  checkSigma(sigma);
  const pairs = noise.length;
  if (losses.plus.length !== pairs || losses.minus.length !== pairs) {
    throw new RangeError(
      `ES losses: expected ${pairs} plus and minus losses, got ${losses.plus.length} and ${losses.minus.length}`,
    );
  }
  const dimension = pairs > 0 ? noise[0].length : 0;
  const sum = new Float64Array(dimension);
  const difference = pairDifference(losses.centre, options.clipToCentre ?? false);
  let validPairs = 0;
  for (let i = 0; i < pairs; i++) {
    const [plus, minus] = [losses.plus[i], losses.minus[i]];
    if (!Number.isFinite(plus) || !Number.isFinite(minus)) continue;
    const d = difference(plus, minus);
    checkLength("noise vector", noise[i], dimension);
    for (let j = 0; j < dimension; j++) sum[j] += d * noise[i][j];
    validPairs++;
  }
  const scale = validPairs > 0 ? 1 / (2 * sigma * validPairs) : 0;
  return { gradient: Float32Array.from(sum, (s) => s * scale), validPairs };
}

/** d(L+, L−) for one pair: plain, or clipped to the centre loss when that is finite. */
function pairDifference(
  centre: number,
  clipToCentre: boolean,
): (plus: number, minus: number) => number {
  if (!clipToCentre || !Number.isFinite(centre)) return (plus, minus) => plus - minus;
  return (plus, minus) => Math.min(plus, centre) - Math.min(minus, centre);
}

function checkSigma(sigma: number): void {
  if (!(sigma > 0 && Number.isFinite(sigma))) {
    throw new RangeError(`ES sigma must be a positive finite number, got ${sigma}`);
  }
}

function checkCount(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`ES ${name} must be an integer >= ${min}, got ${value}`);
  }
}

function checkLength(name: string, vector: ArrayLike<number>, length: number): void {
  if (vector.length !== length) {
    throw new RangeError(`ES ${name}: expected length ${length}, got ${vector.length}`);
  }
}

/**
 * How far the ES estimate stands above its own noise: ||g||^2 / (tr Cov(g)), where g is the
 * estimate (the mean of the P' per-pair estimates g_i = d_i / (2 sigma) e_i over the finite pairs)
 * and tr Cov(g) = sum_i ||g_i - g||^2 / (P' (P' - 1)) its estimated variance. When the true
 * gradient is zero, E||g||^2 equals that variance and the ratio is about 1; a ratio well above 1
 * means the step follows a gradient rather than noise. NaN with fewer than two finite pairs.
 * `differences` are the d_i (plain or ESMC-clipped, as the gradient used them).
 */
export function signalToNoise(
  differences: number[],
  noise: Float32Array[],
  sigma: number,
): number {
  const pairs = differences.map((d, i) => ({ d, e: noise[i] })).filter((p) => Number.isFinite(p.d));
  const count = pairs.length;
  if (count < 2) return NaN;
  const dimension = noise[0].length;
  const mean = new Float64Array(dimension);
  for (const { d, e } of pairs) {
    for (let j = 0; j < dimension; j++) mean[j] += d * e[j] / (2 * sigma * count);
  }
  let spread = 0;
  for (const { d, e } of pairs) {
    for (let j = 0; j < dimension; j++) spread += (d * e[j] / (2 * sigma) - mean[j]) ** 2;
  }
  const variance = spread / (count * (count - 1));
  let signal = 0;
  for (let j = 0; j < dimension; j++) signal += mean[j] ** 2;
  return variance > 0 ? signal / variance : NaN;
}

/** The pair differences d_i the gradient uses (NaN where a loss is not finite). */
export function pairDifferences(losses: PopulationLosses, clipToCentre: boolean): number[] {
  const difference = pairDifference(losses.centre, clipToCentre);
  return losses.plus.map((plus, i) => {
    const minus = losses.minus[i];
    return Number.isFinite(plus) && Number.isFinite(minus) ? difference(plus, minus) : NaN;
  });
}
