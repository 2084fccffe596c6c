// Lennard-Jones, no cutoff: E = sum_{i<j} 4 eps ((sigma/r)^12 - (sigma/r)^6).
// params: [epsilon, sigma]. Loop budget: N_ATOMS iterations per atom.

fn atom_prepare(i: u32) {}

fn atom_energy_force(i: u32) -> AtomEnergyForce {
  let epsilon = param(0u);
  let sigma2 = param(1u) * param(1u);
  let ri = atom_position(i);
  var energy = 0.0;
  var force = vec3f(0.0);
  for (var j = 0u; j < N_ATOMS; j++) {
    let d = minimum_image(atom_position(j) - ri);
    // (sigma/r)^2, zero for the atom itself.
    let s2 = select(sigma2 / dot(d, d), 0.0, j == i);
    let s6 = s2 * s2 * s2;
    // Half of each pair's energy goes to each of its atoms.
    energy += 2.0 * epsilon * (s6 * s6 - s6);
    force -= (24.0 * epsilon / sigma2 * (2.0 * s6 * s6 - s6) * s2) * d;
  }
  return AtomEnergyForce(energy, force);
}
