// One workgroup per replica, one invocation per atom (looping over atom, atom + THREADS, ...
// when N_ATOMS exceeds the workgroup): the replica's positions live in workgroup memory, where
// every invocation reads them for its own atoms' forces (the potential's atom view), and
// replica totals come from a workgroup reduction. Shared by the energy kernel
// (shaders/energy_forces_workgroup.wgsl) and the fused kernel's workgroup layout
// (shaders/layouts/workgroup.wgsl). Generated constants: THREADS (the workgroup size),
// OWNED_ATOMS = ceil(N_ATOMS / THREADS), REDUCTION_WIDTH (THREADS rounded up to a power of two),
// REDUCTION_TREE (how reduce4 works), AUX_WORDS (at least 1), ATOM_PREPARE (whether the
// potential has a pass 1).
// Loop budget: reduce4 log2(REDUCTION_WIDTH) iterations (tree) or THREADS (linear).

var<workgroup> x: array<vec3f, N_ATOMS>;
// The atom view's per-atom scratch (pass 1), [atom][AUX_WORDS].
var<workgroup> aux: array<u32, N_ATOMS * AUX_WORDS>;
// The reductions' partials: one buffer for the tree, two alternating ones for the linear way.
var<workgroup> reduction: array<vec4f, 2u * THREADS>;
// Which of the linear way's buffers the next reduction uses (every invocation the same).
var<private> reduction_parity: u32;
// This invocation's index in the workgroup.
var<private> thread: u32;

// Replica index from the 2D dispatch grid (x + y * width, at most 65,535 groups per axis).
fn enter(id: vec3u, group: vec3u, groups: vec3u, index: u32) -> u32 {
  thread = index;
  return group.x + group.y * groups.x;
}

// The k-th atom of this invocation; N_ATOMS or more when it has fewer than OWNED_ATOMS.
fn atom_of(k: u32) -> u32 {
  return thread + k * THREADS;
}

fn atom_position(j: u32) -> vec3f {
  return x[j];
}

fn aux_load(j: u32, k: u32) -> u32 {
  return aux[j * AUX_WORDS + k];
}

fn aux_store(j: u32, k: u32, value: u32) {
  aux[j * AUX_WORDS + k] = value;
}

// Pass 1 of the atom view (into the shared aux) for this invocation's atoms, then a barrier so
// that pass 2 may read every atom's.
fn prepare_atoms() {
  if (!ATOM_PREPARE) {
    return;
  }
  for (var k = 0u; k < OWNED_ATOMS; k++) {
    let i = atom_of(k);
    if (i >= N_ATOMS) {
      break;
    }
    atom_prepare(i);
  }
  workgroupBarrier();
}

// r_j - r_i, minimum image in a periodic box.
fn displacement(i: u32, j: u32) -> vec3f {
  return minimum_image(x[j] - x[i]);
}

// xyz summed and w maximised over the workgroup, the same value returned to every invocation,
// so that every invocation takes identical decisions: control flow stays uniform and barriers
// legal. Call from uniform control flow. Two ways (REDUCTION_TREE, chosen per device): a tree
// in workgroup memory, log2(REDUCTION_WIDTH) barriers, for GPUs where barriers are cheap; or one
// barrier after which every invocation sums all THREADS partials itself, in the same order, for
// llvmpipe, where each barrier suspends and resumes every invocation. The linear way alternates
// two buffers: before anyone writes one again, everyone has passed the barrier of the reduction
// in between, so has finished reading it.
fn reduce4(value: vec4f) -> vec4f {
  if (REDUCTION_TREE) {
    reduction[thread] = value;
    workgroupBarrier();
    for (var width = REDUCTION_WIDTH / 2u; width > 0u; width /= 2u) {
      if (thread < width && thread + width < THREADS) {
        let other = reduction[thread + width];
        let mine = reduction[thread];
        reduction[thread] = vec4f(mine.xyz + other.xyz, max(mine.w, other.w));
      }
      workgroupBarrier();
    }
    let total = reduction[0];
    // Nobody may start the next reduction before everyone has read this one.
    workgroupBarrier();
    return total;
  }
  let buffer = reduction_parity * THREADS;
  reduction_parity ^= 1u;
  reduction[buffer + thread] = value;
  workgroupBarrier();
  var total = reduction[buffer];
  for (var t = 1u; t < THREADS; t++) {
    let other = reduction[buffer + t];
    total = vec4f(total.xyz + other.xyz, max(total.w, other.w));
  }
  return total;
}
