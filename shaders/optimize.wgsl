// Fused optimizer kernel: one invocation per replica advances it by up to STEPS_PER_DISPATCH
// energy+force evaluations with the method METHOD, keeping positions, forces and optimizer
// vectors in private arrays (registers / thread memory) and writing them back at the end, so a run
// can be paused, read and resumed between dispatches. The algorithms mirror the f64 references in
// src/optimizers/ step for step; see there for the equations and conventions.
//
// Assembled by src/gpu/shader_source.ts after generated constants, common.wgsl, the potential's
// terms and replica view (which reads x[] and fills f[]) and rng.wgsl.
//
// Loop budget (llvmpipe silently stops an invocation after 65,535 loop iterations): the host picks
// STEPS_PER_DISPATCH and HOPS_PER_DISPATCH from per-step bounds (src/gpu/loop_budget.ts) so a
// dispatch never exceeds it; every loop here runs at most N_ATOMS (or LOG_CAPACITY, or the small
// fixed trial counts) times per call.

const METHOD_GRADIENT_DESCENT: u32 = 0u;
const METHOD_ADAM: u32 = 1u;
const METHOD_FIRE: u32 = 2u;
const METHOD_BASIN_HOPPING: u32 = 3u;
const METHOD_RANDOM_RESTARTS: u32 = 4u;
const METHOD_LEARNED: u32 = 5u;
// FIRE's velocity (FIRE, basin hopping, random restarts) or Adam's first moment live in v[].
const USES_VELOCITY: bool = METHOD != METHOD_GRADIENT_DESCENT && METHOD != METHOD_LEARNED;

const STATUS_RUNNING: u32 = 0u;
const STATUS_CONVERGED: u32 = 1u;
const STATUS_FAILED: u32 = 2u;

// Stands for +infinity in energies (the first relaxed minimum is always accepted).
const NO_ENERGY: f32 = 3.4e38;
// Trials for random placements (restart positions, unlike-atom partners); bounded for the budget.
const PLACEMENT_TRIALS: u32 = 8u;

// Same for every replica; layout mirrored in src/gpu/optimizer_batch.ts.
struct Settings {
  n_replicas: u32,
  // Replicas stop once their evaluation count reaches this (set per submission by the host).
  evaluation_limit: u32,
  // Basin hopping: a relaxation ends at fmax or after this many steps.
  relax_step_cap: u32,
  // Basin hopping: adapt dr every this many hops (0: never).
  adapt_interval: u32,
  fmax: f32,
  // Largest displacement of any atom in one step (GD and Adam per atom; FIRE scales the step).
  max_step: f32,
  // Clusters: atoms farther than this from the centre of mass are put back on the sphere (0: off).
  container_radius: f32,
  box_side: f32,
  inverse_box_side: f32,
  fire_dt_max: f32,
  fire_n_min: u32,
  fire_f_inc: f32,
  fire_f_dec: f32,
  fire_alpha_start: f32,
  fire_f_alpha: f32,
  adam_beta1: f32,
  adam_beta2: f32,
  adam_epsilon: f32,
  swap_probability: f32,
  // Random restarts: clusters uniform in this sphere (periodic: in the box), atoms kept this far
  // apart where PLACEMENT_TRIALS allow.
  start_radius: f32,
  min_distance: f32,
  adapt_factor: f32,
  // Learned optimizer: the system's energy and length scales (features.ts).
  energy_scale: f32,
  bond_length: f32,
}

// Per replica; layout mirrored in src/gpu/optimizer_batch.ts.
struct Replica {
  energy: f32,
  best_energy: f32,
  fmax: f32,
  status: u32,
  evaluations: u32,
  // Evaluation count when best_energy was reached.
  best_evaluations: u32,
  relax_steps: u32,
  fire_n_pos: u32,
  adam_t: u32,
  fire_dt: f32,
  fire_alpha: f32,
  // GD step size, Adam learning rate, or FIRE's starting time step.
  step: f32,
  // Basin hopping: displacement amplitude, temperature, the current (Markov chain) minimum.
  dr: f32,
  temperature: f32,
  markov_energy: f32,
  hops: u32,
  accepted: u32,
  window_accepted: u32,
  // Evaluations since best_energy last improved.
  since_best: u32,
  // Learned optimizer: which weight vector (population member) this replica uses.
  weights: u32,
  rng: vec4u,
}

@group(0) @binding(0) var<uniform> settings: Settings;
// [replica][atom][xyz]
@group(0) @binding(1) var<storage, read_write> positions: array<f32>;
// [replica][plane][atom][xyz], planes: forces, velocity (FIRE) or first moment (Adam) or the
// 0.5 momentum (learned), second moment (Adam) or the 0.9 momentum (learned), Markov-chain
// positions (basin hopping), the 0.99 momentum (learned).
@group(0) @binding(2) var<storage, read_write> vectors: array<f32>;
// [replica][atom][xyz], where best_energy was seen.
@group(0) @binding(3) var<storage, read_write> best_positions: array<f32>;
@group(0) @binding(4) var<storage, read_write> replicas: array<Replica>;
@group(0) @binding(5) var<storage, read> species: array<u32>;
@group(0) @binding(6) var<storage, read> params: array<f32>;
// [replica][LOG_STRIDE]: count, LOG_CAPACITY x (energy bits, evaluations),
// LOG_CAPACITY x N_ATOMS x xyz (f32 bits). Relaxed minima since the host last emptied it.
@group(0) @binding(7) var<storage, read_write> minima_log: array<u32>;

const PLANE_FORCES: u32 = 0u;
const PLANE_VELOCITY: u32 = 1u;
const PLANE_MOMENT2: u32 = 2u;
const PLANE_MARKOV: u32 = 3u;
const PLANE_M05: u32 = 1u;
const PLANE_M09: u32 = 2u;
const PLANE_M099: u32 = 4u;
const PLANES: u32 = 5u;
const LOG_STRIDE: u32 = 1u + 2u * LOG_CAPACITY + 3u * N_ATOMS * LOG_CAPACITY;

var<private> x: array<vec3f, N_ATOMS>;
var<private> f: array<vec3f, N_ATOMS>;
var<private> v: array<vec3f, N_ATOMS>;
var<private> w: array<vec3f, N_ATOMS>;
var<private> replica: u32;
var<private> state: Replica;

fn param(k: u32) -> f32 {
  return params[k];
}

fn atom_species(j: u32) -> u32 {
  return species[j];
}

fn minimum_image(d: vec3f) -> vec3f {
  if (PERIODIC) {
    return d - settings.box_side * round(d * settings.inverse_box_side);
  }
  return d;
}

fn atom_base(i: u32) -> u32 {
  return 3u * (replica * N_ATOMS + i);
}

fn plane_base(plane: u32, i: u32) -> u32 {
  return 3u * ((replica * PLANES + plane) * N_ATOMS + i);
}

fn read3(base: u32) -> vec3f {
  return vec3f(positions[base], positions[base + 1u], positions[base + 2u]);
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

fn load_replica() {
  state = replicas[replica];
  rng = state.rng;
  for (var i = 0u; i < N_ATOMS; i++) {
    x[i] = read3(atom_base(i));
    f[i] = read_plane(PLANE_FORCES, i);
    if (USES_VELOCITY) {
      v[i] = read_plane(PLANE_VELOCITY, i);
    }
    // Only Adam has a second moment.
    if (METHOD == METHOD_ADAM) {
      w[i] = read_plane(PLANE_MOMENT2, i);
    }
  }
}

fn store_replica() {
  state.rng = rng;
  replicas[replica] = state;
  for (var i = 0u; i < N_ATOMS; i++) {
    let b = atom_base(i);
    positions[b] = x[i].x;
    positions[b + 1u] = x[i].y;
    positions[b + 2u] = x[i].z;
    write_plane(PLANE_FORCES, i, f[i]);
    if (USES_VELOCITY) {
      write_plane(PLANE_VELOCITY, i, v[i]);
    }
    if (METHOD == METHOD_ADAM) {
      write_plane(PLANE_MOMENT2, i, w[i]);
    }
  }
}

// Clusters: centre of mass at the origin, then the optional container. Periodic: wrap into box.
// `position_sum` is the sum of x[i], which the step functions accumulate while they move atoms
// (one loop fewer per step).
fn constrain_with_sum(position_sum: vec3f) {
  if (PERIODIC) {
    for (var i = 0u; i < N_ATOMS; i++) {
      x[i] -= settings.box_side * floor(x[i] * settings.inverse_box_side);
    }
    return;
  }
  let centre = position_sum / f32(N_ATOMS);
  let radius = settings.container_radius;
  for (var i = 0u; i < N_ATOMS; i++) {
    x[i] -= centre;
    let r = length(x[i]);
    if (radius > 0.0 && r > radius) {
      x[i] *= radius / r;
    }
  }
}

fn constrain() {
  var sum = vec3f(0.0);
  for (var i = 0u; i < N_ATOMS; i++) {
    sum += x[i];
  }
  constrain_with_sum(sum);
}

fn is_finite(value: f32) -> bool {
  return (bitcast<u32>(value) & 0x7f800000u) != 0x7f800000u;
}

// Energy and forces at x; counts the evaluation and tracks the best energy seen. The caller
// then sets state.fmax, with set_fmax or, in FIRE, inside a loop it runs anyway.
fn evaluate_energy() {
  let energy = replica_energy_forces();
  state.evaluations += 1u;
  state.energy = energy;
  if (!is_finite(energy)) {
    state.status = STATUS_FAILED;
    return;
  }
  state.since_best += 1u;
  if (energy < state.best_energy) {
    state.since_best = 0u;
    state.best_energy = energy;
    state.best_evaluations = state.evaluations;
    for (var i = 0u; i < N_ATOMS; i++) {
      let b = atom_base(i);
      best_positions[b] = x[i].x;
      best_positions[b + 1u] = x[i].y;
      best_positions[b + 2u] = x[i].z;
    }
  }
}

// The largest per-atom force from its square; non-finite forces fail the replica.
fn set_fmax(fmax2: f32) {
  state.fmax = sqrt(fmax2);
  if (!is_finite(fmax2)) {
    state.status = STATUS_FAILED;
  }
}

fn evaluate() {
  evaluate_energy();
  var fmax2 = 0.0;
  for (var i = 0u; i < N_ATOMS; i++) {
    fmax2 = max(fmax2, dot(f[i], f[i]));
  }
  set_fmax(fmax2);
}

// Shortens d to settings.max_step if it is longer.
fn capped(d: vec3f) -> vec3f {
  let length2 = dot(d, d);
  let limit = settings.max_step;
  return select(d, d * (limit / sqrt(length2)), length2 > limit * limit);
}

fn gradient_descent_step() {
  var sum = vec3f(0.0);
  for (var i = 0u; i < N_ATOMS; i++) {
    x[i] += capped(state.step * f[i]);
    sum += x[i];
  }
  constrain_with_sum(sum);
  evaluate();
}

fn adam_step() {
  state.adam_t += 1u;
  let t = f32(state.adam_t);
  let beta1 = settings.adam_beta1;
  let beta2 = settings.adam_beta2;
  let correction1 = 1.0 - pow(beta1, t);
  let correction2 = 1.0 - pow(beta2, t);
  var sum = vec3f(0.0);
  for (var i = 0u; i < N_ATOMS; i++) {
    let gradient = -f[i];
    v[i] = beta1 * v[i] + (1.0 - beta1) * gradient;
    w[i] = beta2 * w[i] + (1.0 - beta2) * gradient * gradient;
    let m_hat = v[i] / correction1;
    let w_hat = w[i] / correction2;
    x[i] += capped(-state.step * m_hat / (sqrt(w_hat) + settings.adam_epsilon));
    sum += x[i];
  }
  constrain_with_sum(sum);
  evaluate();
}

// FIRE as in JAX MD's fire_descent (velocity Verlet with unit masses), plus ASE's maxstep: when
// the largest atom displacement dt |v_i| exceeds max_step, the whole step is scaled down.
fn fire_step() {
  let dt = state.fire_dt;
  var largest2 = 0.0;
  for (var i = 0u; i < N_ATOMS; i++) {
    v[i] += 0.5 * dt * f[i];
    largest2 = max(largest2, dot(v[i], v[i]));
  }
  let largest = dt * sqrt(largest2);
  let scale = select(1.0, settings.max_step / largest, largest > settings.max_step);
  var sum = vec3f(0.0);
  for (var i = 0u; i < N_ATOMS; i++) {
    x[i] += (scale * dt) * v[i];
    sum += x[i];
  }
  constrain_with_sum(sum);
  evaluate_energy();
  var f2 = 0.0;
  var fmax2 = 0.0;
  var v2 = 0.0;
  var power = 0.0;
  for (var i = 0u; i < N_ATOMS; i++) {
    v[i] += 0.5 * dt * f[i];
    let fi2 = dot(f[i], f[i]);
    f2 += fi2;
    fmax2 = max(fmax2, fi2);
    v2 += dot(v[i], v[i]);
    power += dot(f[i], v[i]);
  }
  set_fmax(fmax2);
  if (state.status == STATUS_FAILED) {
    return;
  }
  let mix = state.fire_alpha;
  let ratio = sqrt(v2) / max(sqrt(f2), 1e-30);
  for (var i = 0u; i < N_ATOMS; i++) {
    v[i] += mix * (f[i] * ratio - v[i]);
  }
  if (power >= 0.0) {
    state.fire_n_pos += 1u;
  } else {
    state.fire_n_pos = 0u;
  }
  if (power > 0.0 && state.fire_n_pos > settings.fire_n_min) {
    state.fire_dt = min(state.fire_dt * settings.fire_f_inc, settings.fire_dt_max);
    state.fire_alpha *= settings.fire_f_alpha;
  }
  if (power < 0.0) {
    state.fire_dt *= settings.fire_f_dec;
    state.fire_alpha = settings.fire_alpha_start;
    for (var i = 0u; i < N_ATOMS; i++) {
      v[i] = vec3f(0.0);
    }
  }
}

fn reset_optimizer() {
  for (var i = 0u; i < N_ATOMS; i++) {
    v[i] = vec3f(0.0);
    w[i] = vec3f(0.0);
  }
  state.fire_dt = state.step;
  state.fire_alpha = settings.fire_alpha_start;
  state.fire_n_pos = 0u;
  state.adam_t = 0u;
  state.relax_steps = 0u;
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
  if (count >= LOG_CAPACITY) {
    slot = 0u;
    for (var k = 1u; k < LOG_CAPACITY; k++) {
      let e = bitcast<f32>(minima_log[base + 1u + 2u * k]);
      if (e > bitcast<f32>(minima_log[base + 1u + 2u * slot])) {
        slot = k;
      }
    }
    if (!(state.energy < bitcast<f32>(minima_log[base + 1u + 2u * slot]))) {
      return;
    }
  } else {
    minima_log[base] = count + 1u;
  }
  minima_log[base + 1u + 2u * slot] = bitcast<u32>(state.energy);
  minima_log[base + 2u + 2u * slot] = state.evaluations;
  let atoms = base + 1u + 2u * LOG_CAPACITY + 3u * N_ATOMS * slot;
  for (var i = 0u; i < N_ATOMS; i++) {
    minima_log[atoms + 3u * i] = bitcast<u32>(x[i].x);
    minima_log[atoms + 3u * i + 1u] = bitcast<u32>(x[i].y);
    minima_log[atoms + 3u * i + 2u] = bitcast<u32>(x[i].z);
  }
}

fn random_in_cube(half_side: f32) -> vec3f {
  return half_side * (2.0 * vec3f(rng_uniform(), rng_uniform(), rng_uniform()) - 1.0);
}

// A fresh random structure (the random-restart baseline), like src/systems/random_structures.ts
// but with bounded trials: uniform in the sphere (or box), PLACEMENT_TRIALS tries per atom to stay
// min_distance from the atoms already placed.
fn random_structure() {
  let radius = settings.start_radius;
  for (var i = 0u; i < N_ATOMS; i++) {
    for (var trial = 0u; trial < PLACEMENT_TRIALS; trial++) {
      var p = vec3f(0.0);
      if (PERIODIC) {
        p = settings.box_side * vec3f(rng_uniform(), rng_uniform(), rng_uniform());
      } else {
        p = random_in_cube(radius);
        // Outside the ball: pull it in along the same direction, to a uniform-ish radius.
        if (length(p) > radius) {
          p *= radius * rng_uniform() / length(p);
        }
      }
      x[i] = p;
      var clear = true;
      for (var j = 0u; j < i; j++) {
        let d = minimum_image(x[j] - p);
        clear = clear && dot(d, d) >= settings.min_distance * settings.min_distance;
      }
      if (clear) {
        break;
      }
    }
  }
}

// Exchanges the positions of a random pair of unlike atoms; false if none was found.
fn swap_unlike_atoms() -> bool {
  let i = min(u32(rng_uniform() * f32(N_ATOMS)), N_ATOMS - 1u);
  for (var trial = 0u; trial < PLACEMENT_TRIALS; trial++) {
    let j = min(u32(rng_uniform() * f32(N_ATOMS)), N_ATOMS - 1u);
    if (species[j] != species[i]) {
      let t = x[i];
      x[i] = x[j];
      x[j] = t;
      return true;
    }
  }
  return false;
}

// Basin hopping (Wales & Doye 1997) after a finished relaxation: log the minimum, Metropolis
// acceptance of its energy at the replica's temperature, optional adaptation of dr toward an
// acceptance ratio of 0.5, then a new start: a swap of unlike atoms (with swap_probability), or
// every coordinate displaced uniformly in [-dr, dr], from the Markov-chain minimum; or a fresh
// random structure for the random-restart baseline. Costs one evaluation (the new start).
fn hop() {
  log_minimum();
  state.hops += 1u;
  let rise = state.energy - state.markov_energy;
  let accept = rise < 0.0 ||
    (state.temperature > 0.0 && rng_uniform() < exp(-rise / state.temperature));
  if (accept) {
    state.markov_energy = state.energy;
    state.accepted += 1u;
    state.window_accepted += 1u;
    for (var i = 0u; i < N_ATOMS; i++) {
      write_plane(PLANE_MARKOV, i, x[i]);
    }
  }
  let interval = settings.adapt_interval;
  if (interval > 0u && state.hops % interval == 0u) {
    let factor = settings.adapt_factor;
    state.dr = select(state.dr / factor, state.dr * factor, 2u * state.window_accepted > interval);
    state.window_accepted = 0u;
  }
  if (METHOD == METHOD_RANDOM_RESTARTS) {
    random_structure();
  } else {
    for (var i = 0u; i < N_ATOMS; i++) {
      x[i] = read_plane(PLANE_MARKOV, i);
    }
    let swap = N_SPECIES > 1u && rng_uniform() < settings.swap_probability;
    if (!(swap && swap_unlike_atoms())) {
      for (var i = 0u; i < N_ATOMS; i++) {
        x[i] += random_in_cube(state.dr);
      }
    }
  }
  constrain();
  reset_optimizer();
  evaluate();
}

fn replica_index(id: vec3u) -> u32 {
  return id.x;
}

// Once per replica after the host wrote positions and the per-replica fields of `replicas`
// (step, dr, temperature, rng): first evaluation and optimizer state.
@compute @workgroup_size(WORKGROUP_SIZE)
fn initialize(@builtin(global_invocation_id) id: vec3u) {
  replica = replica_index(id);
  if (replica >= settings.n_replicas) {
    return;
  }
  load_replica();
  state.status = STATUS_RUNNING;
  state.evaluations = 0u;
  state.best_energy = NO_ENERGY;
  state.markov_energy = NO_ENERGY;
  state.hops = 0u;
  state.accepted = 0u;
  state.window_accepted = 0u;
  state.since_best = 0u;
  minima_log[log_base()] = 0u;
  constrain();
  reset_optimizer();
  for (var i = 0u; i < N_ATOMS; i++) {
    write_plane(PLANE_MARKOV, i, x[i]);
    if (METHOD == METHOD_LEARNED) {
      write_plane(PLANE_M05, i, vec3f(0.0));
      write_plane(PLANE_M09, i, vec3f(0.0));
      write_plane(PLANE_M099, i, vec3f(0.0));
    }
  }
  evaluate();
  store_replica();
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn run(@builtin(global_invocation_id) id: vec3u) {
  replica = replica_index(id);
  if (replica >= settings.n_replicas) {
    return;
  }
  if (replicas[replica].status != STATUS_RUNNING ||
      replicas[replica].evaluations >= settings.evaluation_limit) {
    return;
  }
  load_replica();
  var hops = 0u;
  for (var s = 0u; s < STEPS_PER_DISPATCH; s++) {
    if (state.status != STATUS_RUNNING || state.evaluations >= settings.evaluation_limit) {
      break;
    }
    if (METHOD == METHOD_LEARNED) {
      // The learned optimizer never stops early; it logs each minimum it settles into.
      let was_relaxed = state.fmax < settings.fmax;
      learned_step();
      if (!was_relaxed && state.fmax < settings.fmax && state.status == STATUS_RUNNING) {
        log_minimum();
      }
    } else if (METHOD == METHOD_BASIN_HOPPING || METHOD == METHOD_RANDOM_RESTARTS) {
      let relaxed = state.fmax < settings.fmax || state.relax_steps >= settings.relax_step_cap;
      if (relaxed) {
        if (hops == HOPS_PER_DISPATCH) {
          break;
        }
        hop();
        hops += 1u;
      } else {
        fire_step();
        state.relax_steps += 1u;
      }
    } else {
      // A local optimizer stops at its first minimum.
      if (state.fmax < settings.fmax) {
        state.status = STATUS_CONVERGED;
        log_minimum();
        break;
      }
      switch METHOD {
        case METHOD_GRADIENT_DESCENT: {
          gradient_descent_step();
        }
        case METHOD_ADAM: {
          adam_step();
        }
        default: {
          fire_step();
        }
      }
    }
  }
  store_replica();
}

// Empties every replica's minima log after the host copied it.
@compute @workgroup_size(WORKGROUP_SIZE)
fn clear_log(@builtin(global_invocation_id) id: vec3u) {
  if (id.x < settings.n_replicas) {
    minima_log[id.x * LOG_STRIDE] = 0u;
  }
}
