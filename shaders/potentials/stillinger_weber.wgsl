// Stillinger-Weber silicon terms (formula and units: src/potentials/stillinger_weber.ts).
// params: [epsilon, sigma, a, lambda * three-body strength, gamma, cos(theta0), A, B]

fn sw_cutoff() -> f32 {
  return param(1u) * param(2u);
}

// Two-body term (phi2(r), dphi2/dr).
fn sw_pair(r: f32) -> vec2f {
  let epsilon = param(0u);
  let sigma = param(1u);
  let a = param(2u);
  let big_a = param(6u);
  let big_b = param(7u);
  let x = r / sigma;
  let x4 = 1.0 / (x * x * x * x);
  let e = exp(1.0 / (x - a));
  let energy = big_a * epsilon * (big_b * x4 - 1.0) * e;
  let slope = big_a * epsilon / sigma *
    (-4.0 * big_b * x4 / x * e - (big_b * x4 - 1.0) * e / ((x - a) * (x - a)));
  return vec2f(energy, slope);
}

struct ThreeBody {
  energy: f32,
  // Gradients of the term with respect to the two outer atoms; the centre takes minus their sum.
  grad_j: vec3f,
  grad_k: vec3f,
}

// The term centred on an atom with outer atoms at displacements dj and dk from it.
fn sw_three_body(dj: vec3f, dk: vec3f) -> ThreeBody {
  let epsilon = param(0u);
  let sigma = param(1u);
  let lambda = param(3u);
  let gamma = param(4u);
  let cos0 = param(5u);
  let cutoff = sw_cutoff();
  let rj = length(dj);
  let rk = length(dk);
  let gj = exp(gamma * sigma / (rj - cutoff));
  let gk = exp(gamma * sigma / (rk - cutoff));
  let dgj = -gj * gamma * sigma / ((rj - cutoff) * (rj - cutoff));
  let dgk = -gk * gamma * sigma / ((rk - cutoff) * (rk - cutoff));
  let cos_theta = dot(dj, dk) / (rj * rk);
  let delta = cos_theta - cos0;
  let de_dcos = 2.0 * lambda * epsilon * delta * gj * gk;
  let de_drj = lambda * epsilon * delta * delta * dgj * gk;
  let de_drk = lambda * epsilon * delta * delta * gj * dgk;
  let grad_j = de_dcos * (dk / (rj * rk) - cos_theta * dj / (rj * rj)) + de_drj * dj / rj;
  let grad_k = de_dcos * (dj / (rj * rk) - cos_theta * dk / (rk * rk)) + de_drk * dk / rk;
  return ThreeBody(lambda * epsilon * delta * delta * gj * gk, grad_j, grad_k);
}
