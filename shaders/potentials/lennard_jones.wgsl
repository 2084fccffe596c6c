// Lennard-Jones pair term, no cutoff: phi(r) = 4 eps ((sigma/r)^12 - (sigma/r)^6).
// params: [epsilon, sigma]. Used by the atom view (energy kernel) and the replica view (fused
// optimizer kernels).

// (phi(r), s) for r^2 = r2, where s d is the force on atom j from atom i for d = r_j - r_i.
fn lj_pair(r2: f32) -> vec2f {
  let epsilon = param(0u);
  let s2 = param(1u) * param(1u) / r2;
  let s6 = s2 * s2 * s2;
  return vec2f(4.0 * epsilon * (s6 * s6 - s6), 24.0 * epsilon * (2.0 * s6 * s6 - s6) / r2);
}
