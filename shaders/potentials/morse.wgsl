// Morse pair term with ASE's smooth cutoff (src/potentials/morse.ts):
//   phi(r) = eps e (e - 2) fc(r),  e = exp(rho0 (1 - r / r0)),
//   fc = t^3 (6 t^2 - 15 t + 10),  t = clamp(1 - (r - rc1) / (rc2 - rc1), 0, 1);
// its views are the pair loops, pair_atom.wgsl and pair_replica.wgsl.
// params: [epsilon, rho0, r0, rc1, rc2] (rc1 and rc2 absolute lengths)

struct PairParams {
  epsilon: f32,
  rho0_over_r0: f32,
  rho0: f32,
  cutoff_inner: f32,
  inverse_width: f32,
}

// Read once per evaluation, outside the pair loops.
fn pair_params() -> PairParams {
  return PairParams(
    param(0u),
    param(1u) / param(2u),
    param(1u),
    param(3u),
    1.0 / (param(4u) - param(3u)),
  );
}

// (phi(r), s) for r^2 = r2, where s d is the force on atom j from atom i for d = r_j - r_i.
fn pair_term(p: PairParams, r2: f32) -> vec2f {
  let r = sqrt(r2);
  let e = exp(p.rho0 - p.rho0_over_r0 * r);
  let phi = p.epsilon * e * (e - 2.0);
  let dphi = -2.0 * p.epsilon * p.rho0_over_r0 * e * (e - 1.0);
  // Clamping t keeps fc and its slope exact on both sides of the switch, without a branch.
  let t = clamp(1.0 - (r - p.cutoff_inner) * p.inverse_width, 0.0, 1.0);
  let fc = t * t * t * (t * (6.0 * t - 15.0) + 10.0);
  let dfc = -30.0 * t * t * (t - 1.0) * (t - 1.0) * p.inverse_width;
  return vec2f(phi * fc, -(dphi * fc + phi * dfc) / r);
}
