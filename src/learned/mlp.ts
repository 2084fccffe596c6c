/**
 * A small multilayer perceptron in the layout the shaders read: layer sizes are multiples of 4,
 * and each layer's weights are 4x4 blocks, for each block of 4 outputs `ob` and 4 inputs `ib` a
 * column-major 4x4 matrix whose column c holds the weights from input 4 ib + c to outputs
 * 4 ob .. 4 ob + 3 (a WGSL mat4x4f), then the layer's biases. Hidden layers are ReLU, the last is
 * linear. Parameters are one flat f32 vector (what ES perturbs); a network may sit at an offset in
 * a larger one.
 */
import type { Rng } from "../core/rng.ts";

export class MlpLayout {
  readonly sizes: readonly number[];
  readonly parameterCount: number;
  readonly #offsets: number[];

  constructor(sizes: readonly number[]) {
    if (sizes.length < 2 || sizes.some((size) => !(size > 0 && size % 4 === 0))) {
      throw new Error(`MLP layer sizes must be positive multiples of 4, got ${sizes}`);
    }
    this.sizes = sizes;
    this.#offsets = [0];
    for (let l = 0; l + 1 < sizes.length; l++) {
      this.#offsets.push(this.#offsets[l] + sizes[l] * sizes[l + 1] + sizes[l + 1]);
    }
    this.parameterCount = this.#offsets[sizes.length - 1];
  }

  /** First parameter of layer l (its weight blocks, then its biases). */
  layerOffset(l: number): number {
    return this.#offsets[l];
  }

  /** Index of the weight from input i to output o of layer l. */
  weightIndex(l: number, o: number, i: number): number {
    const inputs = this.sizes[l];
    const [ob, row] = [Math.floor(o / 4), o % 4];
    const [ib, column] = [Math.floor(i / 4), i % 4];
    return this.#offsets[l] + ((ob * (inputs / 4) + ib) * 16) + column * 4 + row;
  }

  biasIndex(l: number, o: number): number {
    return this.#offsets[l] + this.sizes[l] * this.sizes[l + 1] + o;
  }

  /**
   * The forward pass in WGSL, the one snippet every learned network's kernel uses:
   * `fn NAME(base: u32, input: array<vec4f, IN>) -> array<vec4f, OUT>` (IN and OUT in vec4s) on
   * the network at vec4 `base` of the fused kernel's `weights`, in f32, the same sums in the same
   * order as `forward`. Its loops run `iterations` times.
   */
  wgsl(name: string): string {
    const vec4s = (size: number) => size / 4;
    const layers = this.sizes.length - 1;
    const lines = [
      `// ${this.sizes.join(" -> ")}, ReLU between (src/learned/mlp.ts, MlpLayout.wgsl).`,
      `fn ${name}(base: u32, input: array<vec4f, ${vec4s(this.sizes[0])}u>) -> ` +
      `array<vec4f, ${vec4s(this.sizes[layers])}u> {`,
    ];
    let previous = "input";
    for (let l = 0; l < layers; l++) {
      const [inputs, outputs] = [vec4s(this.sizes[l]), vec4s(this.sizes[l + 1])];
      const hidden = l + 1 < layers;
      const layer = hidden ? `hidden${l + 1}` : "output";
      lines.push(
        `  var ${layer}: array<vec4f, ${outputs}u>;`,
        `  for (var o = 0u; o < ${outputs}u; o++) {`,
        `    var sum = weights[base + ${vec4s(this.biasIndex(l, 0))}u + o];`,
        `    for (var i = 0u; i < ${inputs}u; i++) {`,
        `      let b = base + ${vec4s(this.layerOffset(l))}u + (o * ${inputs}u + i) * 4u;`,
        `      sum += mat4x4f(weights[b], weights[b + 1u], weights[b + 2u], weights[b + 3u]) * ` +
          `${previous}[i];`,
        `    }`,
        `    ${layer}[o] = ${hidden ? "max(sum, vec4f(0.0))" : "sum"};`,
        `  }`,
      );
      previous = layer;
    }
    lines.push("  return output;", "}");
    return lines.join("\n");
  }

  /** Loop iterations of one `wgsl` pass: each layer's outputs (in vec4s) times its inputs and
   * the outer loop's own. */
  get iterations(): number {
    let total = 0;
    for (let l = 0; l + 1 < this.sizes.length; l++) {
      total += (this.sizes[l + 1] / 4) * (this.sizes[l] / 4 + 1);
    }
    return total;
  }

  /** The outputs for `input`, in f64, from the parameters at `offset` of `theta`. */
  forward(theta: ArrayLike<number>, offset: number, input: ArrayLike<number>): Float64Array {
    let activations = Float64Array.from(input);
    const layers = this.sizes.length - 1;
    for (let l = 0; l < layers; l++) {
      const next = new Float64Array(this.sizes[l + 1]);
      for (let o = 0; o < next.length; o++) {
        let sum = theta[offset + this.biasIndex(l, o)];
        for (let i = 0; i < activations.length; i++) {
          sum += theta[offset + this.weightIndex(l, o, i)] * activations[i];
        }
        next[o] = l + 1 < layers ? Math.max(0, sum) : sum;
      }
      activations = next;
    }
    return activations;
  }

  /** Writes starting weights at `offset` of `theta`: normal with standard deviation
   * scale / sqrt(fan-in) in the hidden layers, biases zero, and the output layer zero when
   * `zeroOutput` (a residual that starts at nothing). */
  initialize(theta: Float32Array, offset: number, rng: Rng, scale: number, zeroOutput: boolean) {
    const layers = this.sizes.length - 1;
    for (let l = 0; l < layers; l++) {
      if (zeroOutput && l + 1 === layers) continue;
      const std = scale / Math.sqrt(this.sizes[l]);
      for (let o = 0; o < this.sizes[l + 1]; o++) {
        for (let i = 0; i < this.sizes[l]; i++) {
          theta[offset + this.weightIndex(l, o, i)] = std * standardNormal(rng);
        }
      }
    }
  }
}

/** Box-Muller from two uniforms of `rng`. */
export function standardNormal(rng: Rng): number {
  const u = 1 - rng.uniform();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.uniform());
}
