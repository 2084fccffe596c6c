// A pair potential's replica view (src/potentials/pair_potential.ts): the whole replica's energy,
// forces into f[] (and, when ATOM_ENERGIES, half of each pair energy to each atom of
// atom_energy[]), each pair once, from the potential's pair_params() and pair_term(p, r2).
// Loop budget: pairWgsl's replicaIterations (src/potentials/pair_potential.ts).

fn replica_energy_forces() -> f32 {
  for (var i = 0u; i < N_ATOMS; i++) {
    f[i] = vec3f(0.0);
  }
  let p = pair_params();
  var energy = 0.0;
  for (var i = 0u; i < N_ATOMS; i++) {
    let xi = x[i];
    var fi = vec3f(0.0);
    for (var j = i + 1u; j < N_ATOMS; j++) {
      let d = minimum_image(x[j] - xi);
      let pair = pair_term(p, dot(d, d));
      energy += pair.x;
      if (ATOM_ENERGIES) {
        atom_energy[i] += 0.5 * pair.x;
        atom_energy[j] += 0.5 * pair.x;
      }
      fi -= pair.y * d;
      f[j] += pair.y * d;
    }
    f[i] += fi;
  }
  return energy;
}
