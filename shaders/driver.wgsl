// The fused optimizer kernel's driver: each replica advances by up to settings.steps_per_dispatch
// energy+force evaluations of one local method (shaders/methods/*.wgsl), keeping positions,
// forces and the method's vectors in workgroup or private memory and writing them back at the
// end, so a run can be paused, read and resumed between dispatches. MODE says what happens around
// the local method: MODE_LOCAL stops at the first minimum (largest force below settings.fmax),
// MODE_HOPPING hops once a relaxation ends (shaders/hopping.wgsl), MODE_FREE never stops and logs
// each minimum it settles into (the learned optimizers). The f64 mirror is
// src/methods/reference_replica.ts, step for step.
//
// Written once for both thread layouts (src/gpu/thread_layout.ts): the layout file
// (shaders/layouts/lane.wgsl: one invocation per replica; shaders/layouts/workgroup.wgsl: one
// workgroup per replica) declares x[] and provides enter, atom_of, owns, is_leader, reduce4,
// layout_barrier, rng_skip and replica_energy_forces. Every per-atom loop runs over the atoms this
// invocation owns, k = 0..OWNED_ATOMS with atom i = atom_of(k) and its private vectors at [k];
// every replica total is reduced with reduce4, so each invocation holds the same scalars.
//
// Assembled by src/methods/kernel_source.ts after the generated constants and structs (Settings,
// Replica, LocalState: src/methods/kernel_layout.ts), common.wgsl, the potential's terms and
// view (replica view in the lane layout, atom view in the workgroup layout), the layout, rng.wgsl,
// the hop controller (shaders/hop_control_default.wgsl or a learned one), moves.wgsl,
// hopping.wgsl and the local method.
//
// Loop budget (llvmpipe silently stops an invocation after 65,535 loop iterations): the host picks
// the steps and hops per dispatch from per-step bounds (src/methods/dispatch_plan.ts) so a
// dispatch never exceeds it; every loop here runs at most OWNED_ATOMS (or LOG_CAPACITY) times per
// call, plus one reduce4 per evaluation.

// The buffers (settings, positions, vectors, best_positions, replicas, species, params,
// minima_log, weights, local_states, atom_energies) and LOG_STRIDE are generated from
// src/methods/kernel_layout.ts (DRIVER_BINDINGS, logStride).

// Forces and energy shares of the atoms this invocation owns, at [k] for atom atom_of(k).
var<private> f: array<vec3f, OWNED_ATOMS>;
// Each owned atom's share of the energy at the last evaluation (filled only when ATOM_ENERGIES).
var<private> atom_energy: array<f32, OWNED_ATOMS>;
var<private> replica: u32;
var<private> state: Replica;
var<private> local: LocalState;

fn param(k: u32) -> f32 {
  return params[k];
}

fn atom_species(j: u32) -> u32 {
  return species[j];
}

fn minimum_image(d: vec3f) -> vec3f {
  if (PERIODIC) {
    return d - BOX_SIDE * round(d * INVERSE_BOX_SIDE);
  }
  return d;
}

fn atom_base(i: u32) -> u32 {
  return 3u * (replica * N_ATOMS + i);
}

fn plane_base(plane: u32, i: u32) -> u32 {
  return 3u * ((replica * PLANES + plane) * N_ATOMS + i);
}

fn read_plane(plane: u32, i: u32) -> vec3f {
  let b = plane_base(plane, i);
  return vec3f(vectors[b], vectors[b + 1u], vectors[b + 2u]);
}

fn write_plane(plane: u32, i: u32, value: vec3f) {
  let b = plane_base(plane, i);
  vectors[b] = value.x;
  vectors[b + 1u] = value.y;
  vectors[b + 2u] = value.z;
}

fn read_best(i: u32) -> vec3f {
  let b = atom_base(i);
  return vec3f(best_positions[b], best_positions[b + 1u], best_positions[b + 2u]);
}

// Index of atom i's energy at x (which = 0u) or at the Markov minimum (which = 1u).
fn atom_energy_index(which: u32, i: u32) -> u32 {
  return (2u * replica + which) * N_ATOMS + i;
}

fn load_replica() {
  state = replicas[replica];
  local = local_states[replica];
  rng = state.rng;
  for (var k = 0u; k < OWNED_ATOMS; k++) {
    let i = atom_of(k);
    if (i >= N_ATOMS) {
      break;
    }
    let b = atom_base(i);
    x[i] = vec3f(positions[b], positions[b + 1u], positions[b + 2u]);
    f[k] = read_plane(PLANE_FORCES, i);
    if (ATOM_ENERGIES) {
      atom_energy[k] = atom_energies[atom_energy_index(0u, i)];
    }
  }
  local_load();
  // Everyone has read the replica before the leader may store it again.
  layout_barrier();
}

fn store_replica() {
  state.rng = rng;
  if (is_leader()) {
    replicas[replica] = state;
    local_states[replica] = local;
  }
  for (var k = 0u; k < OWNED_ATOMS; k++) {
    let i = atom_of(k);
    if (i >= N_ATOMS) {
      break;
    }
    let b = atom_base(i);
    positions[b] = x[i].x;
    positions[b + 1u] = x[i].y;
    positions[b + 2u] = x[i].z;
    write_plane(PLANE_FORCES, i, f[k]);
    if (ATOM_ENERGIES) {
      atom_energies[atom_energy_index(0u, i)] = atom_energy[k];
    }
  }
  local_store();
}

// Clusters: centre of mass at the origin, then the optional container. Periodic: wrap into box.
// `position_sum` is this invocation's sum of its atoms' x[i], which the step functions accumulate
// while they move atoms (one loop fewer per step).
fn constrain_with_sum(position_sum: vec3f) {
  if (PERIODIC) {
    for (var k = 0u; k < OWNED_ATOMS; k++) {
      let i = atom_of(k);
      if (i >= N_ATOMS) {
        break;
      }
      x[i] -= BOX_SIDE * floor(x[i] * INVERSE_BOX_SIDE);
    }
    return;
  }
  let centre = reduce4(vec4f(position_sum, 0.0)).xyz / f32(N_ATOMS);
  for (var k = 0u; k < OWNED_ATOMS; k++) {
    let i = atom_of(k);
    if (i >= N_ATOMS) {
      break;
    }
    x[i] -= centre;
    let r = length(x[i]);
    if (CONTAINER_RADIUS > 0.0 && r > CONTAINER_RADIUS) {
      x[i] *= CONTAINER_RADIUS / r;
    }
  }
}

// The sum of this invocation's atoms' positions.
fn owned_position_sum() -> vec3f {
  var sum = vec3f(0.0);
  for (var k = 0u; k < OWNED_ATOMS; k++) {
    let i = atom_of(k);
    if (i >= N_ATOMS) {
      break;
    }
    sum += x[i];
  }
  return sum;
}

fn constrain() {
  constrain_with_sum(owned_position_sum());
}

fn is_finite(value: f32) -> bool {
  return (bitcast<u32>(value) & 0x7f800000u) != 0x7f800000u;
}

// Energy and forces at x; counts the evaluation and tracks the best energy seen (finite energies
// only). The caller then sets state.fmax, with set_fmax or, in FIRE, inside a loop it runs
// anyway. A non-finite energy or force leaves the replica diverged() until the driver rejects the
// point (reject_nonfinite); the local method skips its update.
fn evaluate_energy() {
  if (ATOM_ENERGIES) {
    for (var k = 0u; k < OWNED_ATOMS; k++) {
      atom_energy[k] = 0.0;
    }
  }
  let energy = replica_energy_forces();
  state.evaluations += 1u;
  state.energy = energy;
  if (!is_finite(energy)) {
    return;
  }
  state.since_best += 1u;
  if (energy < state.best_energy) {
    state.since_best = 0u;
    state.best_energy = energy;
    state.best_evaluations = state.evaluations;
    for (var k = 0u; k < OWNED_ATOMS; k++) {
      let i = atom_of(k);
      if (i >= N_ATOMS) {
        break;
      }
      let b = atom_base(i);
      best_positions[b] = x[i].x;
      best_positions[b + 1u] = x[i].y;
      best_positions[b + 2u] = x[i].z;
    }
  }
}

// The largest per-atom force from the square of this invocation's largest.
fn set_fmax(fmax2: f32) {
  set_replica_fmax(reduce4(vec4f(0.0, 0.0, 0.0, fmax2)).w);
}

// The same from the square of the replica's largest (already reduced).
fn set_replica_fmax(largest2: f32) {
  state.fmax = sqrt(largest2);
}

// The last evaluation's energy or largest force was not finite (atoms on top of each other, an
// overflow in f32, or a learned step gone wild).
fn diverged() -> bool {
  return !is_finite(state.energy) || !is_finite(state.fmax);
}

// Rejects a non-finite point, so that no replica ever stops for one: hopping goes back to the
// Markov chain's minimum (the start before one is accepted) and makes a uniform move from there;
// the other modes have no chain and restart from a random structure. Costs one evaluation (the new
// point), counted like any other, and the event is counted in state.rejected_nonfinite.
// Loop budget: a hop's (hopping), or a restart's (src/methods/dispatch_plan.ts).
fn reject_nonfinite() {
  state.rejected_nonfinite += 1u;
  if (MODE == MODE_HOPPING) {
    for (var k = 0u; k < OWNED_ATOMS; k++) {
      let i = atom_of(k);
      if (i >= N_ATOMS) {
        break;
      }
      x[i] = read_plane(PLANE_MARKOV, i);
    }
    uniform_move(state.dr);
  } else {
    restart_move(0.0);
  }
  constrain();
  local_reset();
  state.relax_steps = 0u;
  evaluate();
}

fn evaluate() {
  evaluate_energy();
  var fmax2 = 0.0;
  for (var k = 0u; k < OWNED_ATOMS; k++) {
    if (atom_of(k) >= N_ATOMS) {
      break;
    }
    fmax2 = max(fmax2, dot(f[k], f[k]));
  }
  set_fmax(fmax2);
}

// Three standard normals for atom i (rng_standard_normal: 2 draws each), in atom order whichever
// invocation owns the atom: the draws of the atoms from *drawn up to i, which other invocations
// own, are skipped, and *drawn moves past i. After its last atom an invocation calls
// skip_atom_normals(drawn), so that every invocation's stream ends at the same place.
fn atom_normals(i: u32, drawn: ptr<function, u32>) -> vec3f {
  rng_skip(6u * (i - *drawn));
  *drawn = i + 1u;
  let x = rng_standard_normal();
  let y = rng_standard_normal();
  let z = rng_standard_normal();
  return vec3f(x, y, z);
}

fn skip_atom_normals(drawn: u32) {
  rng_skip(6u * (N_ATOMS - drawn));
}

// Shortens d to MAX_STEP if it is longer.
fn capped(d: vec3f) -> vec3f {
  let length2 = dot(d, d);
  return select(d, d * (MAX_STEP / sqrt(length2)), length2 > MAX_STEP * MAX_STEP);
}

fn log_base() -> u32 {
  return replica * LOG_STRIDE;
}

// Records the relaxed minimum at x: appended while there is room, else it replaces the highest
// logged one if lower. The host empties the log at every readback.
fn log_minimum() {
  let base = log_base();
  let count = minima_log[base];
  var slot = count;
  var keep = true;
  if (count >= LOG_CAPACITY) {
    slot = 0u;
    for (var k = 1u; k < LOG_CAPACITY; k++) {
      let e = bitcast<f32>(minima_log[base + 1u + 2u * k]);
      if (e > bitcast<f32>(minima_log[base + 1u + 2u * slot])) {
        slot = k;
      }
    }
    keep = state.energy < bitcast<f32>(minima_log[base + 1u + 2u * slot]);
  }
  // Every invocation has read the log before the leader changes it.
  layout_barrier();
  if (!keep) {
    return;
  }
  if (is_leader()) {
    minima_log[base] = min(count + 1u, LOG_CAPACITY);
    minima_log[base + 1u + 2u * slot] = bitcast<u32>(state.energy);
    minima_log[base + 2u + 2u * slot] = state.evaluations;
  }
  let atoms = base + 1u + 2u * LOG_CAPACITY + 3u * N_ATOMS * slot;
  for (var k = 0u; k < OWNED_ATOMS; k++) {
    let i = atom_of(k);
    if (i >= N_ATOMS) {
      break;
    }
    minima_log[atoms + 3u * i] = bitcast<u32>(x[i].x);
    minima_log[atoms + 3u * i + 1u] = bitcast<u32>(x[i].y);
    minima_log[atoms + 3u * i + 2u] = bitcast<u32>(x[i].z);
  }
}

// A new chain from x (initialize, place): centred (or wrapped), the local method reset, x the
// Markov chain's start, which accepts its next minimum; the first evaluation there, counted.
fn start_chain() {
  state.markov_energy = NO_ENERGY;
  state.chain_best = NO_ENERGY;
  state.stale_hops = 0u;
  state.relax_steps = 0u;
  state.hop_fmax_scale = 1.0;
  constrain();
  local_reset();
  if (MODE == MODE_HOPPING) {
    for (var k = 0u; k < OWNED_ATOMS; k++) {
      let i = atom_of(k);
      if (i >= N_ATOMS) {
        break;
      }
      write_plane(PLANE_MARKOV, i, x[i]);
    }
  }
  evaluate();
}

// Once per replica after the host wrote positions and the per-replica fields of `replicas`
// (step, dr, temperature, move probabilities, rng): first evaluation and the method's state.
@compute @workgroup_size(WORKGROUP_SIZE)
fn initialize(
  @builtin(global_invocation_id) id: vec3u,
  @builtin(workgroup_id) group: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_index) index: u32,
) {
  replica = enter(id, group, groups, index);
  if (replica >= settings.n_replicas) {
    return;
  }
  load_replica();
  state.status = STATUS_RUNNING;
  state.evaluations = 0u;
  state.best_energy = NO_ENERGY;
  state.hops = 0u;
  state.accepted = 0u;
  state.window_accepted = 0u;
  state.since_best = 0u;
  state.rejected_nonfinite = 0u;
  state.reseeds = 0u;
  state.taboo_saved = 0u;
  state.taboo_hits = 0u;
  if (is_leader()) {
    minima_log[log_base()] = 0u;
  }
  start_chain();
  store_replica();
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn run(
  @builtin(global_invocation_id) id: vec3u,
  @builtin(workgroup_id) group: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_index) index: u32,
) {
  replica = enter(id, group, groups, index);
  if (replica >= settings.n_replicas) {
    return;
  }
  if (replicas[replica].status != STATUS_RUNNING ||
      replicas[replica].evaluations >= settings.evaluation_limit) {
    return;
  }
  load_replica();
  // Hops and rejections of non-finite points (hopping) share the dispatch's
  // settings.hops_per_dispatch.
  var hops = 0u;
  for (var s = 0u; s < settings.steps_per_dispatch; s++) {
    if (state.status != STATUS_RUNNING || state.evaluations >= settings.evaluation_limit) {
      break;
    }
    if (diverged()) {
      if (MODE != MODE_HOPPING || hops == settings.hops_per_dispatch) {
        break;
      }
      reject_nonfinite();
      hops += 1u;
    } else if (MODE == MODE_FREE) {
      let was_relaxed = state.fmax < settings.fmax;
      local_step();
      if (!was_relaxed && state.fmax < settings.fmax && state.status == STATUS_RUNNING) {
        log_minimum();
      }
    } else if (MODE == MODE_HOPPING) {
      if (state.fmax < settings.fmax * state.hop_fmax_scale ||
          state.relax_steps >= RELAX_STEP_CAP) {
        if (hops == settings.hops_per_dispatch) {
          break;
        }
        hop();
        hops += 1u;
      } else {
        local_step();
        state.relax_steps += 1u;
      }
    } else {
      if (state.fmax < settings.fmax) {
        state.status = STATUS_CONVERGED;
        log_minimum();
        break;
      }
      local_step();
    }
  }
  // Outside hopping a non-finite point is rejected here, after the loop: a restart is dear, and
  // llvmpipe's loop counter is shared by the 8 replicas of a SIMD group in the lane layout, which
  // would pay for a restart in every pass in which one of them diverged. Once per dispatch, the
  // replica idle until then: the same evaluations as rejecting it at once.
  if (MODE != MODE_HOPPING && state.status == STATUS_RUNNING &&
      state.evaluations < settings.evaluation_limit && diverged()) {
    reject_nonfinite();
  }
  store_replica();
}

// Replicas the host marked `placed` start a new chain from the positions it wrote (a reseed from
// the population's pool, src/search/population.ts): the chain accepts its next minimum, as after
// a reseed in hop(), and the stale chain's lowest minimum joins the taboo list (TABOO); the first
// evaluation there is counted. Other replicas are untouched.
@compute @workgroup_size(WORKGROUP_SIZE)
fn place(
  @builtin(global_invocation_id) id: vec3u,
  @builtin(workgroup_id) group: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_index) index: u32,
) {
  replica = enter(id, group, groups, index);
  if (replica >= settings.n_replicas || replicas[replica].placed == 0u) {
    return;
  }
  load_replica();
  state.placed = 0u;
  end_stale_chain();
  start_chain();
  store_replica();
}

// Empties every replica's minima log after the host copied it.
@compute @workgroup_size(WORKGROUP_SIZE)
fn clear_log(
  @builtin(global_invocation_id) id: vec3u,
  @builtin(workgroup_id) group: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_index) index: u32,
) {
  replica = enter(id, group, groups, index);
  if (replica < settings.n_replicas && is_leader()) {
    minima_log[log_base()] = 0u;
  }
}
