// Stillinger-Weber, replica view: the whole replica's energy, forces into f[] (and, when
// ATOM_ENERGIES, half of each pair energy to each atom and each three-body term to its centre, in
// atom_energy[], as the atom view's shares); pair terms once per pair, three-body terms once per
// (centre, unordered pair of its neighbours).
// Neighbour lists hold SW_MAX_NEIGHBOURS per atom; more makes the energy NaN (replica fails).
// Loop budget: its entry's wgsl.replicaIterations (src/potentials/stillinger_weber.ts).

var<private> sw_count: array<u32, N_ATOMS>;
var<private> sw_neighbours: array<array<u32, SW_MAX_NEIGHBOURS>, N_ATOMS>;

fn sw_add_neighbour(i: u32, j: u32) {
  if (sw_count[i] < SW_MAX_NEIGHBOURS) {
    sw_neighbours[i][sw_count[i]] = j;
  }
  sw_count[i] += 1u;
}

fn replica_energy_forces() -> f32 {
  let cutoff2 = sw_cutoff() * sw_cutoff();
  for (var i = 0u; i < N_ATOMS; i++) {
    f[i] = vec3f(0.0);
    sw_count[i] = 0u;
  }
  var energy = 0.0;
  for (var i = 0u; i < N_ATOMS; i++) {
    for (var j = i + 1u; j < N_ATOMS; j++) {
      let d = minimum_image(x[j] - x[i]);
      let r2 = dot(d, d);
      if (r2 < cutoff2) {
        let r = sqrt(r2);
        let pair = sw_pair(r);
        energy += pair.x;
        if (ATOM_ENERGIES) {
          atom_energy[i] += 0.5 * pair.x;
          atom_energy[j] += 0.5 * pair.x;
        }
        let g = (pair.y / r) * d;
        f[i] += g;
        f[j] -= g;
        sw_add_neighbour(i, j);
        sw_add_neighbour(j, i);
      }
    }
  }
  var overflow = false;
  for (var i = 0u; i < N_ATOMS; i++) {
    overflow = overflow || sw_count[i] > SW_MAX_NEIGHBOURS;
    let n = min(sw_count[i], SW_MAX_NEIGHBOURS);
    for (var a = 0u; a < n; a++) {
      let j = sw_neighbours[i][a];
      let dij = minimum_image(x[j] - x[i]);
      for (var b = a + 1u; b < n; b++) {
        let k = sw_neighbours[i][b];
        let term = sw_three_body(dij, minimum_image(x[k] - x[i]));
        energy += term.energy;
        if (ATOM_ENERGIES) {
          atom_energy[i] += term.energy;
        }
        f[j] -= term.grad_j;
        f[k] -= term.grad_k;
        f[i] += term.grad_j + term.grad_k;
      }
    }
  }
  if (overflow) {
    return bitcast<f32>(0x7fc00000u);
  }
  return energy;
}
