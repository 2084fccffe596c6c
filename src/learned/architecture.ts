/**
 * The learned optimizer's network: one small MLP applied to every atom of every replica at every
 * step (shaders/methods/learned_mlp.wgsl runs it on the GPU, `mlpForward` here is its f64 reference).
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
import { MlpLayout } from "./mlp.ts";

export const LAYER_SIZES = [16, 16, 16, 4] as const;

/** The network, whose forward pass the shader generates (MlpLayout.wgsl). */
export const PER_ATOM_NETWORK = new MlpLayout(LAYER_SIZES);

export const ARCHITECTURE: Architecture = {
  name: "per-atom-mlp",
  inputs: LAYER_SIZES[0],
  hidden: [LAYER_SIZES[1], LAYER_SIZES[2]],
  outputs: LAYER_SIZES[3],
  parameterCount: PER_ATOM_NETWORK.parameterCount,
};

export const PARAMETER_COUNT = ARCHITECTURE.parameterCount;

/** Index in theta of the weight from input i to output o of layer l, and of output o's bias. */
export function weightIndex(l: number, o: number, i: number): number {
  return PER_ATOM_NETWORK.weightIndex(l, o, i);
}

export function biasIndex(l: number, o: number): number {
  return PER_ATOM_NETWORK.biasIndex(l, o);
}

/** Outputs for one atom's features, in f64, from theta at `offset`. */
export function mlpForward(
  theta: ArrayLike<number>,
  offset: number,
  features: ArrayLike<number>,
): Float64Array {
  return PER_ATOM_NETWORK.forward(theta, offset, features);
}

/**
 * A starting theta: weights normal with standard deviation `scale / sqrt(fan-in)`, biases zero,
 * except the output bias of the force coefficient, 1, so the untrained optimizer already descends
 * (normalised gradient descent, see the step in features.ts) and ES has something to improve on.
 */
export function initialTheta(seed: number, scale = 0.1): Float32Array {
  const theta = new Float32Array(PARAMETER_COUNT);
  PER_ATOM_NETWORK.initialize(theta, 0, new Rng(seed), scale, false);
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
