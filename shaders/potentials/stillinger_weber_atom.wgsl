// Stillinger-Weber, atom view.
// aux: per atom, [neighbour count, up to SW_MAX_NEIGHBOURS neighbour indices] within a * sigma.
// A count above SW_MAX_NEIGHBOURS makes the atom's energy NaN, which the host reports.
// Loop budget: its entry's wgsl.atomIterations (src/potentials/stillinger_weber.ts).

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
