// The workgroup layout of the fused kernel (src/gpu/thread_layout.ts; the shared part is
// shaders/layouts/workgroup_atoms.wgsl): one workgroup per replica, its positions x[] in
// workgroup memory, each invocation owning atoms atom_of(0..OWNED_ATOMS) and their forces f[k],
// method vectors and energy shares in private arrays. Every invocation holds its own copy of the
// replica's scalars (state, local, rng) and computes them identically from reduced values, so
// they agree without being shared; only the leader writes them back. Random numbers are drawn by
// every invocation in the same order; those of atoms another invocation owns are skipped.
// Barriers: x is written only by the atom's owner; layout_barrier() separates those writes from
// reads of other atoms (the evaluation, the moves that read the whole replica), and storage
// writes from reads by other invocations.

// Each atom's rank for a surface move, filled by the hop controller's rank_atoms().
var<workgroup> atom_rank: array<f32, N_ATOMS>;

fn owns(i: u32) -> bool {
  return i % THREADS == thread;
}

fn is_leader() -> bool {
  return thread == 0u;
}

fn layout_barrier() {
  storageBarrier();
  workgroupBarrier();
}

fn rng_skip(count: u32) {
  for (var k = 0u; k < count; k++) {
    rng_next();
  }
}

// The atom view on the shared positions: pass 1 (atom_prepare, into the shared aux) for every
// atom, then each owned atom's force into f[k] and energy share into atom_energy[k]; the energy
// is their workgroup sum.
fn replica_energy_forces() -> f32 {
  // Every atom's new position is in place before anyone reads it.
  workgroupBarrier();
  prepare_atoms();
  var energy = 0.0;
  for (var k = 0u; k < OWNED_ATOMS; k++) {
    let i = atom_of(k);
    if (i >= N_ATOMS) {
      break;
    }
    let share = atom_energy_force(i);
    f[k] = share.force;
    energy += share.energy;
    if (ATOM_ENERGIES) {
      atom_energy[k] = share.energy;
    }
  }
  // The reduction's barriers also keep x unchanged until every invocation has read it.
  return reduce4(vec4f(energy, 0.0, 0.0, 0.0)).x;
}
