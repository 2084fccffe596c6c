// Stillinger-Weber silicon (see src/potentials/stillinger_weber.ts for the formula and units).
// params: [epsilon, sigma, a, lambda * three-body strength, gamma, cos(theta0), A, B]
// aux: per atom, [neighbour count, up to SW_MAX_NEIGHBOURS neighbour indices] within a * sigma.
// A count above SW_MAX_NEIGHBOURS makes the atom's energy NaN, which the host reports.
// Loop budget: pass 1 N_ATOMS; pass 2 at most M (M - 1) / 2 + M * M with M = SW_MAX_NEIGHBOURS.

fn sw_cutoff() -> f32 {
  return param(1u) * param(2u);
}

fn atom_prepare(i: u32) {
  let cutoff2 = sw_cutoff() * sw_cutoff();
  var count = 0u;
  for (var j = 0u; j < N_ATOMS; j++) {
    if (j == i) {
      continue;
    }
    let d = displacement(i, j);
    if (dot(d, d) < cutoff2) {
      if (count < SW_MAX_NEIGHBOURS) {
        aux_store(i, 1u + count, j);
      }
      count += 1u;
    }
  }
  aux_store(i, 0u, count);
}

// Two-body term phi2(r) and its derivative.
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

fn atom_energy_force(i: u32) -> AtomEnergyForce {
  let count_i = aux_load(i, 0u);
  let n_i = min(count_i, SW_MAX_NEIGHBOURS);
  var energy = 0.0;
  var grad = vec3f(0.0);
  for (var a = 0u; a < n_i; a++) {
    let j = aux_load(i, 1u + a);
    let dij = displacement(i, j);
    let rij = length(dij);
    let pair = sw_pair(rij);
    energy += 0.5 * pair.x;
    grad -= pair.y * dij / rij;
    // Terms centred on i, one per unordered pair of its neighbours.
    for (var b = a + 1u; b < n_i; b++) {
      let term = sw_three_body(dij, displacement(i, aux_load(i, 1u + b)));
      energy += term.energy;
      grad -= term.grad_j + term.grad_k;
    }
    // Terms centred on neighbour j in which i is an outer atom.
    let n_j = min(aux_load(j, 0u), SW_MAX_NEIGHBOURS);
    for (var c = 0u; c < n_j; c++) {
      let k = aux_load(j, 1u + c);
      if (k != i) {
        grad += sw_three_body(-dij, displacement(j, k)).grad_j;
      }
    }
  }
  if (count_i > SW_MAX_NEIGHBOURS) {
    energy = bitcast<f32>(0x7fc00000u);
  }
  return AtomEnergyForce(energy, -grad);
}
