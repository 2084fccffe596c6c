// xoshiro128** (Blackman & Vigna), the same generator as src/systems/rng.ts, so a replica's random
// stream on the GPU equals the host's for the same state. The kernel keeps the state in `rng`.

var<private> rng: vec4u;

fn rng_next() -> u32 {
  let result = rotate_left(rng.y * 5u, 7u) * 9u;
  let t = rng.y << 9u;
  rng.z ^= rng.x;
  rng.w ^= rng.y;
  rng.y ^= rng.z;
  rng.x ^= rng.w;
  rng.z ^= t;
  rng.w = rotate_left(rng.w, 11u);
  return result;
}

fn rotate_left(value: u32, k: u32) -> u32 {
  return (value << k) | (value >> (32u - k));
}

// Uniform in [0, 1) with 24 random bits (exact in f32; the host mirror is Rng.uniform24).
fn rng_uniform() -> f32 {
  return f32(rng_next() >> 8u) * (1.0 / 16777216.0);
}

// A standard normal by Box-Muller from two uniforms (the host mirror is Rng.normal24).
fn rng_standard_normal() -> f32 {
  let u = 1.0 - rng_uniform();
  return sqrt(-2.0 * log(u)) * cos(TWO_PI * rng_uniform());
}
