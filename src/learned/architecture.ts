/**
 * The learned optimizer's network: one small MLP applied to every atom of every replica at every
 * step (shaders/learned.wgsl runs it on the GPU, `mlpForward` here is its f64 reference).
 *
 *   16 features -> 16 (ReLU) -> 16 (ReLU) -> 4 outputs
 *
 * Parameters live in one flat vector theta (what ES perturbs), laid out for the GPU as 4x4 blocks:
 * for each layer, for each block of 4 outputs `ob` and 4 inputs `ib`, a column-major 4x4 matrix
 * whose column c holds the weights from input 4 ib + c to outputs 4 ob .. 4 ob + 3; then the
 * biases. A replica reads its weights at (weight vector index) * PARAMETER_COUNT.
 */
import { Rng } from "../core/rng.ts";
import type { Architecture } from "./checkpoint.ts";

export const LAYER_SIZES = [16, 16, 16, 4] as const;

export const ARCHITECTURE: Architecture = {
  name: "per-atom-mlp",
  inputs: LAYER_SIZES[0],
  hidden: [LAYER_SIZES[1], LAYER_SIZES[2]],
  outputs: LAYER_SIZES[3],
  parameterCount: parameterCount(),
};

function parameterCount(): number {
  let count = 0;
  for (let l = 0; l + 1 < LAYER_SIZES.length; l++) {
    count += LAYER_SIZES[l] * LAYER_SIZES[l + 1] + LAYER_SIZES[l + 1];
  }
  return count;
}

export const PARAMETER_COUNT = ARCHITECTURE.parameterCount;

/** Index in theta of the weight from input i to output o of layer l, and of output o's bias. */
export function weightIndex(l: number, o: number, i: number): number {
  const inputs = LAYER_SIZES[l];
  const [ob, row] = [Math.floor(o / 4), o % 4];
  const [ib, column] = [Math.floor(i / 4), i % 4];
  return layerOffset(l) + ((ob * (inputs / 4) + ib) * 16) + column * 4 + row;
}

export function biasIndex(l: number, o: number): number {
  return layerOffset(l) + LAYER_SIZES[l] * LAYER_SIZES[l + 1] + o;
}

function layerOffset(l: number): number {
  let offset = 0;
  for (let k = 0; k < l; k++) offset += LAYER_SIZES[k] * LAYER_SIZES[k + 1] + LAYER_SIZES[k + 1];
  return offset;
}

/** Outputs for one atom's features, in f64, from theta at `offset`. */
export function mlpForward(
  theta: ArrayLike<number>,
  offset: number,
  features: ArrayLike<number>,
): Float64Array {
  let activations = Float64Array.from(features);
  for (let l = 0; l + 1 < LAYER_SIZES.length; l++) {
    const next = new Float64Array(LAYER_SIZES[l + 1]);
    for (let o = 0; o < next.length; o++) {
      let sum = theta[offset + biasIndex(l, o)];
      for (let i = 0; i < activations.length; i++) {
        sum += theta[offset + weightIndex(l, o, i)] * activations[i];
      }
      const hidden = l + 2 < LAYER_SIZES.length;
      next[o] = hidden ? Math.max(0, sum) : sum;
    }
    activations = next;
  }
  return activations;
}

/**
 * A starting theta: weights normal with standard deviation `scale / sqrt(fan-in)`, biases zero,
 * except the output bias of the force coefficient, 1, so the untrained optimizer already descends
 * (normalised gradient descent, see the step in features.ts) and ES has something to improve on.
 */
export function initialTheta(seed: number, scale = 0.1): Float32Array {
  const rng = new Rng(seed);
  const theta = new Float32Array(PARAMETER_COUNT);
  for (let l = 0; l + 1 < LAYER_SIZES.length; l++) {
    const std = scale / Math.sqrt(LAYER_SIZES[l]);
    for (let o = 0; o < LAYER_SIZES[l + 1]; o++) {
      for (let i = 0; i < LAYER_SIZES[l]; i++) theta[weightIndex(l, o, i)] = std * normal(rng);
    }
  }
  theta[biasIndex(LAYER_SIZES.length - 2, OUTPUT.forceCoefficient)] = 1;
  return theta;
}

/** What the four outputs mean (see features.ts for the step they make). */
export const OUTPUT: Record<
  "forceCoefficient" | "momentumCoefficient" | "logStep" | "logNoise",
  number
> = {
  forceCoefficient: 0,
  momentumCoefficient: 1,
  logStep: 2,
  logNoise: 3,
};

function normal(rng: Rng): number {
  const u = 1 - rng.uniform();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.uniform());
}
