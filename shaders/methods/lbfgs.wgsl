// L-BFGS (Nocedal 1980; Liu & Nocedal 1989) in GMIN's style, a local method of the fused kernel
// (src/methods/lbfgs.ts, which documents the rules): the two-loop recursion over the last
// LBFGS_HISTORY pairs (s, y) gives the step d = -H g, scaled so that no atom moves more than
// MAX_STEP; a step that raises the energy by more than the rounding allowance is shortened by
// LBFGS_BACKTRACK from the previous point, up to LBFGS_MAX_BACKTRACKS times, after which it is
// taken and the history forgotten. Every trial point is one counted evaluation.
// State: count, newest slot, backtracks, the previous energy, H0's scale gamma, rho per slot.
// Planes: S0..S(m-1), Y0..Y(m-1) (contiguous), the previous positions and gradient.
// Loop budget per step: (4 LBFGS_HISTORY + 7) OWNED_ATOMS and 2 LBFGS_HISTORY + 4 reductions,
// plus the constraint and the evaluation.

var<private> q: array<vec3f, OWNED_ATOMS>;

fn local_load() {}

fn local_store() {}

fn local_reset() {
  local.count = 0u;
  local.newest = 0u;
  local.backtracks = 0u;
}

// Slot of the k-th newest history pair (k = 0: the newest).
fn lbfgs_slot(k: u32) -> u32 {
  return (local.newest + LBFGS_HISTORY - k) % LBFGS_HISTORY;
}

fn sum_over_replica(value: f32) -> f32 {
  return reduce4(vec4f(value, 0.0, 0.0, 0.0)).x;
}

// x += d with d = -H g from the history (H0 = gamma I, or state.step I without history).
fn lbfgs_direction_step() {
  for (var k = 0u; k < OWNED_ATOMS; k++) {
    let i = atom_of(k);
    if (i >= N_ATOMS) {
      break;
    }
    q[k] = -f[k];
    write_plane(PLANE_PREVIOUS, i, x[i]);
    write_plane(PLANE_PREVIOUS_GRADIENT, i, -f[k]);
  }
  local.energy_before = state.energy;
  var alpha: array<f32, LBFGS_HISTORY>;
  for (var h = 0u; h < local.count; h++) {
    let slot = lbfgs_slot(h);
    var sq = 0.0;
    for (var k = 0u; k < OWNED_ATOMS; k++) {
      let i = atom_of(k);
      if (i >= N_ATOMS) {
        break;
      }
      sq += dot(read_plane(PLANE_S0 + slot, i), q[k]);
    }
    let a = local.rho[slot] * sum_over_replica(sq);
    alpha[slot] = a;
    for (var k = 0u; k < OWNED_ATOMS; k++) {
      let i = atom_of(k);
      if (i >= N_ATOMS) {
        break;
      }
      q[k] -= a * read_plane(PLANE_Y0 + slot, i);
    }
  }
  let h0 = select(state.step, local.gamma, local.count > 0u);
  for (var k = 0u; k < OWNED_ATOMS; k++) {
    q[k] *= h0;
  }
  for (var h = local.count; h > 0u; h--) {
    let slot = lbfgs_slot(h - 1u);
    var yr = 0.0;
    for (var k = 0u; k < OWNED_ATOMS; k++) {
      let i = atom_of(k);
      if (i >= N_ATOMS) {
        break;
      }
      yr += dot(read_plane(PLANE_Y0 + slot, i), q[k]);
    }
    let b = alpha[slot] - local.rho[slot] * sum_over_replica(yr);
    for (var k = 0u; k < OWNED_ATOMS; k++) {
      let i = atom_of(k);
      if (i >= N_ATOMS) {
        break;
      }
      q[k] += b * read_plane(PLANE_S0 + slot, i);
    }
  }
  // q is now H g; the step is -q. Not a descent direction (a poor history): forget it and take
  // the steepest-descent step of H0 = state.step.
  var slope = 0.0;
  var largest2 = 0.0;
  for (var k = 0u; k < OWNED_ATOMS; k++) {
    if (atom_of(k) >= N_ATOMS) {
      break;
    }
    slope += dot(q[k], f[k]);
    largest2 = max(largest2, dot(q[k], q[k]));
  }
  let reduced = reduce4(vec4f(slope, 0.0, 0.0, largest2));
  largest2 = reduced.w;
  if (!(reduced.x < 0.0)) {
    local.count = 0u;
    largest2 = 0.0;
    for (var k = 0u; k < OWNED_ATOMS; k++) {
      if (atom_of(k) >= N_ATOMS) {
        break;
      }
      q[k] = -state.step * f[k];
      largest2 = max(largest2, dot(q[k], q[k]));
    }
    largest2 = reduce4(vec4f(0.0, 0.0, 0.0, largest2)).w;
  }
  let largest = sqrt(largest2);
  let scale = select(1.0, MAX_STEP / largest, largest > MAX_STEP);
  var sum = vec3f(0.0);
  for (var k = 0u; k < OWNED_ATOMS; k++) {
    let i = atom_of(k);
    if (i >= N_ATOMS) {
      break;
    }
    x[i] -= scale * q[k];
    sum += x[i];
  }
  constrain_with_sum(sum);
}

fn local_step() {
  if (local.backtracks == 0u) {
    lbfgs_direction_step();
  } else {
    var sum = vec3f(0.0);
    for (var k = 0u; k < OWNED_ATOMS; k++) {
      let i = atom_of(k);
      if (i >= N_ATOMS) {
        break;
      }
      let previous = read_plane(PLANE_PREVIOUS, i);
      x[i] = previous + LBFGS_BACKTRACK * minimum_image(x[i] - previous);
      sum += x[i];
    }
    constrain_with_sum(sum);
  }
  evaluate();
  if (diverged()) {
    return;
  }
  let allowance = LBFGS_MAX_RISE * (abs(local.energy_before) + f32(N_ATOMS));
  if (state.energy > local.energy_before + allowance) {
    if (local.backtracks < LBFGS_MAX_BACKTRACKS) {
      local.backtracks += 1u;
      return;
    }
    local.backtracks = 0u;
    local.count = 0u;
    return;
  }
  local.backtracks = 0u;
  // The new pair: s = x - x_previous, y = g - g_previous (g = -f). s goes into the PREVIOUS
  // plane (its positions are not needed again: the next step is a fresh direction, which rewrites
  // it) and y into q, until both are copied into the history slot.
  var sy = 0.0;
  var yy = 0.0;
  for (var k = 0u; k < OWNED_ATOMS; k++) {
    let i = atom_of(k);
    if (i >= N_ATOMS) {
      break;
    }
    let s = minimum_image(x[i] - read_plane(PLANE_PREVIOUS, i));
    let y = -f[k] - read_plane(PLANE_PREVIOUS_GRADIENT, i);
    q[k] = y;
    write_plane(PLANE_PREVIOUS, i, s);
    sy += dot(s, y);
    yy += dot(y, y);
  }
  let products = reduce4(vec4f(sy, yy, 0.0, 0.0));
  sy = products.x;
  yy = products.y;
  // Only pairs of positive curvature keep H positive definite.
  if (!(sy > 0.0)) {
    return;
  }
  let slot = (local.newest + 1u) % LBFGS_HISTORY;
  for (var k = 0u; k < OWNED_ATOMS; k++) {
    let i = atom_of(k);
    if (i >= N_ATOMS) {
      break;
    }
    write_plane(PLANE_S0 + slot, i, read_plane(PLANE_PREVIOUS, i));
    write_plane(PLANE_Y0 + slot, i, q[k]);
  }
  local.newest = slot;
  local.rho[slot] = 1.0 / sy;
  local.gamma = sy / yy;
  local.count = min(local.count + 1u, LBFGS_HISTORY);
}
