/**
 * The outer (meta-training) optimizer: Adam or plain SGD on the learned optimizer's weights θ,
 * minimising, with optional clipping of the gradient by its global norm.
 *
 * Adam (Kingma & Ba 2015, "Adam: A Method for Stochastic Optimization", Algorithm 1), at step
 * t = 1, 2, ... with gradient g:
 *
 *   m ← β1 m + (1 − β1) g,   v ← β2 v + (1 − β2) g²,
 *   θ ← θ − lr · m̂ / (√v̂ + ε),   m̂ = m / (1 − β1^t),   v̂ = v / (1 − β2^t).
 *
 * SGD is θ ← θ − lr · g. Clipping (Pascanu et al. 2013) first scales g by min(1, clipNorm / |g|).
 *
 * Precision and checkpoints: each step is computed in f64 from the stored f32 θ, m and v, and the
 * new θ, m and v are rounded to f32. A step therefore depends only on (θ, m, v, t, g, lr), all
 * of which a checkpoint holds exactly, so a run resumed from {@link OuterOptimizer.state} is
 * bit-identical to an uninterrupted one. (For JSON, `Array.from` of a Float32Array and
 * `Float32Array.from` of the parsed numbers round-trip exactly.)
 */

/** Which update rule the outer optimizer applies. */
export type OuterMethod = "adam" | "sgd";

/** Adam's constants as in Kingma & Ba (2015). */
export const OUTER_ADAM = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 } as const;

/** Options of {@link OuterOptimizer}; every field has a default. */
export interface OuterOptimizerOptions {
  /** Default "adam". */
  method?: OuterMethod;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Scale the gradient down to this global (L2) norm when it is larger. Default: no clipping. */
  clipNorm?: number;
}

/** Everything a checkpoint needs to resume the outer optimizer exactly. */
export interface OuterOptimizerState {
  method: OuterMethod;
  /** Updates applied so far (Adam's t before the next update). */
  step: number;
  /** Adam's first and second moments; empty for SGD. */
  m: Float32Array;
  v: Float32Array;
}

/** Adam or SGD on a fixed-length weight vector, updating it in place. */
export class OuterOptimizer {
  readonly method: OuterMethod;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly clipNorm: number;
  readonly dimension: number;
  #step = 0;
  #m: Float32Array;
  #v: Float32Array;

  /** A fresh optimizer, or one continuing from `state` (copied). */
  constructor(dimension: number, options: OuterOptimizerOptions = {}, state?: OuterOptimizerState) {
    if (!Number.isInteger(dimension) || dimension < 1) {
      throw new RangeError(`outer optimizer: dimension must be an integer >= 1, got ${dimension}`);
    }
    this.dimension = dimension;
    this.method = checkMethod(options.method ?? "adam");
    this.beta1 = checkUnitInterval("beta1", options.beta1 ?? OUTER_ADAM.beta1);
    this.beta2 = checkUnitInterval("beta2", options.beta2 ?? OUTER_ADAM.beta2);
    this.epsilon = checkPositive("epsilon", options.epsilon ?? OUTER_ADAM.epsilon);
    this.clipNorm = checkPositive("clipNorm", options.clipNorm ?? Infinity);
    const moments = this.method === "adam" ? dimension : 0;
    this.#m = new Float32Array(moments);
    this.#v = new Float32Array(moments);
    if (state) this.#restore(state);
  }

  /** Updates applied so far. */
  get step(): number {
    return this.#step;
  }

  /** A copy of the optimizer's state, for a checkpoint. */
  state(): OuterOptimizerState {
    return { method: this.method, step: this.#step, m: this.#m.slice(), v: this.#v.slice() };
  }

  /**
   * One minimising update of `theta` in place with `gradient` and `learningRate`. Returns the
   * gradient's global norm before clipping. A non-finite gradient throws rather than poisoning
   * the moments.
   */
  update(theta: Float32Array, gradient: Float32Array, learningRate: number): number {
    checkVector("theta", theta, this.dimension);
    checkVector("gradient", gradient, this.dimension);
    if (!(learningRate >= 0 && Number.isFinite(learningRate))) {
      throw new RangeError(
        `outer optimizer: learning rate must be finite and >= 0, got ${learningRate}`,
      );
    }
    const norm = globalNorm(gradient);
    if (!Number.isFinite(norm)) throw new RangeError("outer optimizer: gradient is not finite");
    const scale = norm > this.clipNorm ? this.clipNorm / norm : 1;
    this.#step++;
    if (this.method === "adam") this.#adam(theta, gradient, scale, learningRate);
    else for (let j = 0; j < theta.length; j++) theta[j] -= learningRate * scale * gradient[j];
    return norm;
  }

  #adam(theta: Float32Array, gradient: Float32Array, scale: number, learningRate: number): void {
    const { beta1, beta2, epsilon } = this;
    const correction1 = 1 - beta1 ** this.#step;
    const correction2 = 1 - beta2 ** this.#step;
    for (let j = 0; j < theta.length; j++) {
      const g = scale * gradient[j];
      const m = beta1 * this.#m[j] + (1 - beta1) * g;
      const v = beta2 * this.#v[j] + (1 - beta2) * g * g;
      theta[j] -= learningRate * (m / correction1) / (Math.sqrt(v / correction2) + epsilon);
      this.#m[j] = m;
      this.#v[j] = v;
    }
  }

  #restore(state: OuterOptimizerState): void {
    if (state.method !== this.method) {
      throw new RangeError(`outer optimizer: state is for ${state.method}, not ${this.method}`);
    }
    if (!Number.isInteger(state.step) || state.step < 0) {
      throw new RangeError(
        `outer optimizer: state step must be an integer >= 0, got ${state.step}`,
      );
    }
    checkVector("state m", state.m, this.#m.length);
    checkVector("state v", state.v, this.#v.length);
    this.#step = state.step;
    this.#m.set(state.m);
    this.#v.set(state.v);
  }
}

/** √(Σ g_j²), summed in f64. */
export function globalNorm(vector: ArrayLike<number>): number {
  let sum = 0;
  for (let j = 0; j < vector.length; j++) sum += vector[j] * vector[j];
  return Math.sqrt(sum);
}

function checkMethod(method: string): OuterMethod {
  if (method !== "adam" && method !== "sgd") {
    throw new RangeError(`outer optimizer: method must be "adam" or "sgd", got "${method}"`);
  }
  return method;
}

function checkUnitInterval(name: string, value: number): number {
  if (!(value >= 0 && value < 1)) {
    throw new RangeError(`outer optimizer: ${name} must be in [0, 1), got ${value}`);
  }
  return value;
}

function checkPositive(name: string, value: number): number {
  if (!(value > 0)) throw new RangeError(`outer optimizer: ${name} must be > 0, got ${value}`);
  return value;
}

function checkVector(name: string, vector: ArrayLike<number>, length: number): void {
  if (vector.length !== length) {
    throw new RangeError(
      `outer optimizer: ${name} has length ${vector.length}, expected ${length}`,
    );
  }
}
