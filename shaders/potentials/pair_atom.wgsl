// A pair potential's atom view (src/potentials/pair_potential.ts): atom i's half of its pair
// energies and its force, from the potential's pair_params() and pair_term(p, r2), which returns
// (phi(r), s) with s d the force on atom j from atom i for d = r_j - r_i.
// Loop budget: pairWgsl's atomIterations (src/potentials/pair_potential.ts).

fn atom_prepare(i: u32) {}

fn atom_energy_force(i: u32) -> AtomEnergyForce {
  let p = pair_params();
  let ri = atom_position(i);
  var energy = 0.0;
  var force = vec3f(0.0);
  for (var j = 0u; j < N_ATOMS; j++) {
    let d = minimum_image(atom_position(j) - ri);
    // The atom itself (d = 0) gets r^2 = 1 to stay finite, and its energy is masked out.
    let pair = pair_term(p, select(dot(d, d), 1.0, j == i));
    energy += select(0.5 * pair.x, 0.0, j == i);
    force -= pair.y * d;
  }
  return AtomEnergyForce(energy, force);
}
