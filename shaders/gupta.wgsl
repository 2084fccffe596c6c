// Gupta / RGL, Cleri-Rosato form (see src/potentials/gupta.ts for the formula and units).
// params: per species pair (a * N_SPECIES + b), GUPTA_PAIR_STRIDE floats:
//   [A, xi^2, p, q, r0, cutoff^2 (3.4e38 for none), 0, 0]
// aux: 1 word per atom, the density rho_i = sum_j xi^2 exp(-2 q (r/r0 - 1)) as f32 bits.
// Loop budget: N_ATOMS iterations per pass.

const GUPTA_PAIR_STRIDE: u32 = 8u;

fn gupta_pair_base(i: u32, j: u32) -> u32 {
  return (atom_species(i) * N_SPECIES + atom_species(j)) * GUPTA_PAIR_STRIDE;
}

// Whether atom j interacts with atom i at squared distance r2 (never with itself).
fn gupta_interacts(i: u32, j: u32, r2: f32, base: u32) -> bool {
  return j != i && r2 < param(base + 5u);
}

fn atom_prepare(i: u32) {
  let ri = atom_position(i);
  var density = 0.0;
  for (var j = 0u; j < N_ATOMS; j++) {
    let base = gupta_pair_base(i, j);
    let d = minimum_image(atom_position(j) - ri);
    let r2 = dot(d, d);
    let x = sqrt(r2) / param(base + 4u) - 1.0;
    let phi = param(base + 1u) * exp(-2.0 * param(base + 3u) * x);
    density += select(0.0, phi, gupta_interacts(i, j, r2, base));
  }
  aux_store(i, 0u, bitcast<u32>(density));
}

// dE/d(density) = -1 / (2 sqrt(density)); an isolated atom has none.
fn gupta_embedding_slope(density: f32) -> f32 {
  return select(0.0, -0.5 / sqrt(density), density > 0.0);
}

fn atom_energy_force(i: u32) -> AtomEnergyForce {
  let ri = atom_position(i);
  let density_i = bitcast<f32>(aux_load(i, 0u));
  let slope_i = gupta_embedding_slope(density_i);
  var energy = -sqrt(density_i);
  var force = vec3f(0.0);
  for (var j = 0u; j < N_ATOMS; j++) {
    let base = gupta_pair_base(i, j);
    let d = minimum_image(atom_position(j) - ri);
    let interacts = gupta_interacts(i, j, dot(d, d), base);
    // r = 1 for the atom itself keeps every term finite before the mask drops it.
    let r = select(1.0, length(d), interacts);
    let a = param(base);
    let xi2 = param(base + 1u);
    let p = param(base + 2u);
    let q = param(base + 3u);
    let r0 = param(base + 4u);
    let x = r / r0 - 1.0;
    let repulsive = a * exp(-p * x);
    let slope_j = gupta_embedding_slope(bitcast<f32>(aux_load(j, 0u)));
    // dE/dr of this pair: the repulsion of both ordered pairs, and both atoms' embedding.
    let de_dr = -2.0 * p / r0 * repulsive +
      (slope_i + slope_j) * (-2.0 * q / r0) * xi2 * exp(-2.0 * q * x);
    energy += select(0.0, repulsive, interacts);
    force += select(vec3f(0.0), (de_dr / r) * d, interacts);
  }
  return AtomEnergyForce(energy, force);
}
