/**
 * Seeded pseudo-random numbers that are identical on every machine: xoshiro128** on 32-bit
 * integers (Blackman & Vigna), seeded through splitmix32. Only integer arithmetic and exact
 * float operations are used, so no platform's Math library can change the stream.
 */
export class Rng {
  #s = new Uint32Array(4);

  /** `stream` selects an independent sequence for the same seed (e.g. one per replica). */
  constructor(seed: number, stream = 0) {
    let x = (Math.trunc(seed) ^ Math.imul(Math.trunc(stream) + 1, 0x9e3779b9)) >>> 0;
    for (let k = 0; k < 4; k++) {
      // splitmix32
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.#s[k] = (z ^ (z >>> 16)) >>> 0;
    }
  }

  /** Next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const s = this.#s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 24 random bits, exactly as the GPU kernels draw it (shaders/rng.wgsl). */
  uniform24(): number {
    return (this.nextUint32() >>> 8) / 16777216;
  }

  /** A standard normal by Box-Muller from two `uniform24` draws, exactly as the GPU kernels draw
   * it (rng_standard_normal in shaders/rng.wgsl). */
  normal24(): number {
    const u = 1 - this.uniform24();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.uniform24());
  }

  /** A generator continuing from `state()` of another: the same stream from there on. */
  static fromState(state: ArrayLike<number>): Rng {
    if (state.length !== 4 || Array.from(state).every((word) => word === 0)) {
      throw new RangeError("an Rng state is four 32-bit words, not all zero");
    }
    const rng = new Rng(0);
    rng.#s.set(state);
    return rng;
  }

  /** The generator's four state words, to hand the same stream to a GPU kernel or a checkpoint. */
  state(): Uint32Array {
    return this.#s.slice();
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
