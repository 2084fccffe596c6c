// The lane layout of the fused kernel (src/gpu/thread_layout.ts): one invocation per replica,
// WORKGROUP_SIZE replicas per workgroup, so a replica is one SIMD lane (llvmpipe's natural
// shape). The invocation owns every atom: OWNED_ATOMS = N_ATOMS, atom_of(k) = k, and the
// reductions and barriers of the workgroup layout (shaders/layouts/workgroup.wgsl) are the
// identity. The potential's replica view fills f[] from x[], visiting each pair once.

var<private> x: array<vec3f, N_ATOMS>;
// Each atom's rank for a surface move, filled by the hop controller's rank_atoms().
var<private> atom_rank: array<f32, N_ATOMS>;

// Replica index from the 2D dispatch grid (x + y * width, at most 65,535 groups per axis).
fn enter(id: vec3u, group: vec3u, groups: vec3u, index: u32) -> u32 {
  return id.x + id.y * groups.x * WORKGROUP_SIZE;
}

fn atom_of(k: u32) -> u32 {
  return k;
}

fn owns(i: u32) -> bool {
  return true;
}

fn is_leader() -> bool {
  return true;
}

// xyz summed and w maximised over the replica's invocations: here, one.
fn reduce4(value: vec4f) -> vec4f {
  return value;
}

fn layout_barrier() {}

// Random numbers of atoms this invocation does not own are skipped in the workgroup layout;
// here there are none.
fn rng_skip(count: u32) {}
