// Lennard-Jones pair term, no cutoff: phi(r) = 4 eps ((sigma/r)^12 - (sigma/r)^6).
// params: [epsilon, sigma]. Used by the atom view (energy kernel) and the replica view (fused
// optimizer kernels).

struct LennardJones {
  epsilon: f32,
  sigma2: f32,
}

// Read once per evaluation, outside the pair loops.
fn lj_params() -> LennardJones {
  return LennardJones(param(0u), param(1u) * param(1u));
}

// (phi(r), s) for r^2 = r2, where s d is the force on atom j from atom i for d = r_j - r_i.
fn lj_pair(lj: LennardJones, r2: f32) -> vec2f {
  let inverse_r2 = 1.0 / r2;
  let s2 = lj.sigma2 * inverse_r2;
  let s6 = s2 * s2 * s2;
  return vec2f(4.0 * lj.epsilon * (s6 * s6 - s6), 24.0 * lj.epsilon * (2.0 * s6 * s6 - s6) * inverse_r2);
}
