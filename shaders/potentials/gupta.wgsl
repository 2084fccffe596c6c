// Gupta / RGL pair terms, Cleri-Rosato form (formula and units: src/potentials/gupta.ts).
// params: per species pair (a * N_SPECIES + b), 8 floats:
//   [A, xi^2, p, q, r0, cutoff^2 (3.4e38 for none), 0, 0]

struct GuptaPair {
  a: f32,
  xi2: f32,
  p: f32,
  q: f32,
  r0: f32,
  cutoff2: f32,
}

fn gupta_pair(species_i: u32, species_j: u32) -> GuptaPair {
  let base = (species_i * N_SPECIES + species_j) * 8u;
  return GuptaPair(
    param(base),
    param(base + 1u),
    param(base + 2u),
    param(base + 3u),
    param(base + 4u),
    param(base + 5u),
  );
}

// At distance r: (repulsion A e^{-p x}, density term xi^2 e^{-2q x}, and their r-derivatives),
// x = r / r0 - 1.
fn gupta_terms(pair: GuptaPair, r: f32) -> vec4f {
  let x = r / pair.r0 - 1.0;
  let repulsion = pair.a * exp(-pair.p * x);
  let density = pair.xi2 * exp(-2.0 * pair.q * x);
  return vec4f(
    repulsion,
    density,
    -pair.p / pair.r0 * repulsion,
    -2.0 * pair.q / pair.r0 * density,
  );
}

// dE/d(density) = -1 / (2 sqrt(density)); an isolated atom has none.
fn gupta_embedding_slope(density: f32) -> f32 {
  return select(0.0, -0.5 / sqrt(density), density > 0.0);
}
