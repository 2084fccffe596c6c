// Gupta, atom view. aux: 1 word per atom, its density as f32 bits (pass 1).
// Loop budget: its entry's wgsl.atomIterations (src/potentials/gupta.ts).

fn atom_prepare(i: u32) {
  let ri = atom_position(i);
  var density = 0.0;
  for (var j = 0u; j < N_ATOMS; j++) {
    let pair = gupta_pair(atom_species(i), atom_species(j));
    let d = minimum_image(atom_position(j) - ri);
    let r2 = dot(d, d);
    let terms = gupta_terms(pair, sqrt(r2));
    density += select(0.0, terms.y, j != i && r2 < pair.cutoff2);
  }
  aux_store(i, 0u, bitcast<u32>(density));
}

fn atom_energy_force(i: u32) -> AtomEnergyForce {
  let ri = atom_position(i);
  let density_i = bitcast<f32>(aux_load(i, 0u));
  let slope_i = gupta_embedding_slope(density_i);
  var energy = -sqrt(density_i);
  var force = vec3f(0.0);
  for (var j = 0u; j < N_ATOMS; j++) {
    let pair = gupta_pair(atom_species(i), atom_species(j));
    let d = minimum_image(atom_position(j) - ri);
    let interacts = j != i && dot(d, d) < pair.cutoff2;
    // r = 1 for the atom itself keeps every term finite before the mask drops it.
    let r = select(1.0, length(d), interacts);
    let terms = gupta_terms(pair, r);
    let slope_j = gupta_embedding_slope(bitcast<f32>(aux_load(j, 0u)));
    // dE/dr of this pair: the repulsion of both ordered pairs, and both atoms' embedding.
    let de_dr = 2.0 * terms.z + (slope_i + slope_j) * terms.w;
    energy += select(0.0, terms.x, interacts);
    force += select(vec3f(0.0), (de_dr / r) * d, interacts);
  }
  return AtomEnergyForce(energy, force);
}
