// Lennard-Jones pair term, no cutoff: phi(r) = 4 eps ((sigma/r)^12 - (sigma/r)^6)
// (src/potentials/lennard_jones.ts); its views are the pair loops, pair_atom.wgsl and
// pair_replica.wgsl.
// params: [epsilon, sigma]

struct PairParams {
  epsilon: f32,
  sigma2: f32,
}

// Read once per evaluation, outside the pair loops.
fn pair_params() -> PairParams {
  return PairParams(param(0u), param(1u) * param(1u));
}

// (phi(r), s) for r^2 = r2, where s d is the force on atom j from atom i for d = r_j - r_i.
fn pair_term(p: PairParams, r2: f32) -> vec2f {
  let inverse_r2 = 1.0 / r2;
  let s2 = p.sigma2 * inverse_r2;
  let s6 = s2 * s2 * s2;
  return vec2f(4.0 * p.epsilon * (s6 * s6 - s6), 24.0 * p.epsilon * (2.0 * s6 * s6 - s6) * inverse_r2);
}
