// Energy and forces of B replicas of N atoms, one invocation per (replica, atom).
//
// Assembled by src/gpu/energy_batch.ts (src/gpu/shader_source.ts) as: generated constants, then
// common.wgsl, then one potential's terms and atom view (shaders/potentials/, named by its registry
// entry in src/potentials/; a pair potential's view is pair_atom.wgsl), then this kernel. The
// atom view implements
//   fn atom_prepare(i: u32)                         pass 1: per-atom data into aux (may be empty)
//   fn atom_energy_force(i: u32) -> AtomEnergyForce pass 2: atom i's share of the energy, its force
// using the accessors below; the workgroup layout's kernels (energy_forces_workgroup.wgsl and the
// fused optimizer kernel) run the same view over a replica kept in workgroup memory.
//
// Potentials loop over all j including i itself and mask i's term with select() rather than
// `continue`: a branch that differs between SIMD lanes costs llvmpipe more than the wasted term.
//
// Loop budget (llvmpipe silently stops loops after 65,535 iterations per invocation): every entry
// point loops at most N_ATOMS times plus the potential's own bounded loops (its registry entry's
// atomIterations).

// BatchInfo (n_replicas, grid_width, box_side, inverse_box_side) and the buffers (batch,
// positions, species, params, aux, atom_energies, forces, energies) are generated from
// src/gpu/energy_batch.ts (BATCH_INFO_LAYOUT, ENERGY_BINDINGS).

var<private> replica: u32;

fn atom_position(j: u32) -> vec3f {
  let base = 3u * (replica * N_ATOMS + j);
  return vec3f(positions[base], positions[base + 1u], positions[base + 2u]);
}

fn atom_species(j: u32) -> u32 {
  return species[j];
}

fn param(k: u32) -> f32 {
  return params[k];
}

fn aux_load(j: u32, k: u32) -> u32 {
  return aux[(replica * N_ATOMS + j) * AUX_WORDS + k];
}

fn aux_store(j: u32, k: u32, value: u32) {
  aux[(replica * N_ATOMS + j) * AUX_WORDS + k] = value;
}

// The shortest periodic image of a difference vector (the identity for clusters).
fn minimum_image(d: vec3f) -> vec3f {
  if (PERIODIC) {
    return d - batch.box_side * round(d * batch.inverse_box_side);
  }
  return d;
}

// r_j - r_i, minimum image in a periodic box.
fn displacement(i: u32, j: u32) -> vec3f {
  return minimum_image(atom_position(j) - atom_position(i));
}

fn thread_index(id: vec3u) -> u32 {
  return id.x + id.y * batch.grid_width;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn prepare(@builtin(global_invocation_id) id: vec3u) {
  let t = thread_index(id);
  if (t >= batch.n_replicas * N_ATOMS) {
    return;
  }
  replica = t / N_ATOMS;
  atom_prepare(t % N_ATOMS);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn evaluate(@builtin(global_invocation_id) id: vec3u) {
  let t = thread_index(id);
  if (t >= batch.n_replicas * N_ATOMS) {
    return;
  }
  replica = t / N_ATOMS;
  let result = atom_energy_force(t % N_ATOMS);
  atom_energies[t] = result.energy;
  forces[3u * t] = result.force.x;
  forces[3u * t + 1u] = result.force.y;
  forces[3u * t + 2u] = result.force.z;
}

// One invocation per replica: its energy is the sum of its atoms' shares.
@compute @workgroup_size(WORKGROUP_SIZE)
fn sum_energies(@builtin(global_invocation_id) id: vec3u) {
  let r = thread_index(id);
  if (r >= batch.n_replicas) {
    return;
  }
  var energy = 0.0;
  for (var j = 0u; j < N_ATOMS; j++) {
    energy += atom_energies[r * N_ATOMS + j];
  }
  energies[r] = energy;
}
