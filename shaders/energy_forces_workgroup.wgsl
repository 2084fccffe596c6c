// Energy and forces of B replicas of N atoms in the workgroup layout (src/gpu/thread_layout.ts):
// one workgroup per replica, its positions copied once into workgroup memory
// (shaders/layouts/workgroup_atoms.wgsl), each invocation computing its atoms' energy shares and
// forces with the potential's atom view, and the replica's energy by a workgroup reduction: one
// dispatch, where the lane layout (energy_forces.wgsl) takes two or three passes that each read
// the positions from storage.
//
// Assembled by src/gpu/energy_batch.ts as: generated constants, common.wgsl, one potential's terms
// and atom view, workgroup_atoms.wgsl, then this kernel.
//
// Loop budget: each invocation runs its OWNED_ATOMS atoms through both passes of the potential
// (see each potential) and one reduction.

// The buffers are generated from src/gpu/energy_batch.ts (ENERGY_BINDINGS), but aux: this
// kernel keeps the atom view's scratch in workgroup memory (workgroup_atoms.wgsl).

fn atom_species(j: u32) -> u32 {
  return species[j];
}

fn param(k: u32) -> f32 {
  return params[k];
}

fn minimum_image(d: vec3f) -> vec3f {
  if (PERIODIC) {
    return d - batch.box_side * round(d * batch.inverse_box_side);
  }
  return d;
}

@compute @workgroup_size(THREADS)
fn evaluate_replicas(
  @builtin(workgroup_id) group: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_index) index: u32,
) {
  let replica = enter(vec3u(0u), group, groups, index);
  if (replica >= batch.n_replicas) {
    return;
  }
  for (var k = 0u; k < OWNED_ATOMS; k++) {
    let i = atom_of(k);
    if (i >= N_ATOMS) {
      break;
    }
    let b = 3u * (replica * N_ATOMS + i);
    x[i] = vec3f(positions[b], positions[b + 1u], positions[b + 2u]);
  }
  workgroupBarrier();
  prepare_atoms();
  var energy = 0.0;
  for (var k = 0u; k < OWNED_ATOMS; k++) {
    let i = atom_of(k);
    if (i >= N_ATOMS) {
      break;
    }
    let share = atom_energy_force(i);
    let t = replica * N_ATOMS + i;
    atom_energies[t] = share.energy;
    forces[3u * t] = share.force.x;
    forces[3u * t + 1u] = share.force.y;
    forces[3u * t + 2u] = share.force.z;
    energy += share.energy;
  }
  let total = reduce4(vec4f(energy, 0.0, 0.0, 0.0)).x;
  if (thread == 0u) {
    energies[replica] = total;
  }
}
