// Gupta, replica view: the whole replica's energy, forces into f[], each pair once per pass.
// When ATOM_ENERGIES, atom_energy[i] gets its repulsive pair terms and its embedding -sqrt(rho_i).
// Loop budget: its entry's wgsl.replicaIterations (src/potentials/gupta.ts).

// Densities, then (reusing the array) the embedding slopes dE/d(density).
var<private> gupta_density: array<f32, N_ATOMS>;

fn replica_energy_forces() -> f32 {
  for (var i = 0u; i < N_ATOMS; i++) {
    f[i] = vec3f(0.0);
    gupta_density[i] = 0.0;
  }
  var energy = 0.0;
  for (var i = 0u; i < N_ATOMS; i++) {
    for (var j = i + 1u; j < N_ATOMS; j++) {
      let pair = gupta_pair(atom_species(i), atom_species(j));
      let d = minimum_image(x[j] - x[i]);
      let r2 = dot(d, d);
      if (r2 < pair.cutoff2) {
        let terms = gupta_terms(pair, sqrt(r2));
        energy += 2.0 * terms.x;
        if (ATOM_ENERGIES) {
          atom_energy[i] += terms.x;
          atom_energy[j] += terms.x;
        }
        gupta_density[i] += terms.y;
        gupta_density[j] += terms.y;
      }
    }
  }
  for (var i = 0u; i < N_ATOMS; i++) {
    energy -= sqrt(gupta_density[i]);
    if (ATOM_ENERGIES) {
      atom_energy[i] -= sqrt(gupta_density[i]);
    }
    gupta_density[i] = gupta_embedding_slope(gupta_density[i]);
  }
  for (var i = 0u; i < N_ATOMS; i++) {
    for (var j = i + 1u; j < N_ATOMS; j++) {
      let pair = gupta_pair(atom_species(i), atom_species(j));
      let d = minimum_image(x[j] - x[i]);
      let r2 = dot(d, d);
      if (r2 < pair.cutoff2) {
        let r = sqrt(r2);
        let terms = gupta_terms(pair, r);
        let de_dr = 2.0 * terms.z + (gupta_density[i] + gupta_density[j]) * terms.w;
        let g = (de_dr / r) * d;
        f[i] += g;
        f[j] -= g;
      }
    }
  }
  return energy;
}
