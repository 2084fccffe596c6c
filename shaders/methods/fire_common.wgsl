// What every FIRE-like local method shares (fire.wgsl, fire_residual.wgsl, anneal.wgsl;
// src/methods/fire.ts FIRE_COMMON_SHADER): the velocity plane (private v[], one entry per owned
// atom) loaded, stored and reset with FIRE's state (dt = the replica's step, alpha, the count of
// steps with positive power), FIRE's whole step (fire_step), and its second half step after the
// forces at the new positions (Bitzek et al., PRL 97, 170201 (2006), as JAX MD's fire_descent):
// the velocity's second half kick, the largest force, the mixing of the velocity towards the
// force, and dt and alpha adapted by the power F . v. Loop budget of the half step: 2 OWNED_ATOMS
// and 1 reduction.

var<private> v: array<vec3f, OWNED_ATOMS>;

fn local_load() {
  for (var k = 0u; k < OWNED_ATOMS; k++) {
    let i = atom_of(k);
    if (i >= N_ATOMS) {
      break;
    }
    v[k] = read_plane(PLANE_VELOCITY, i);
  }
}

fn local_store() {
  for (var k = 0u; k < OWNED_ATOMS; k++) {
    let i = atom_of(k);
    if (i >= N_ATOMS) {
      break;
    }
    write_plane(PLANE_VELOCITY, i, v[k]);
  }
}

fn local_reset() {
  for (var k = 0u; k < OWNED_ATOMS; k++) {
    v[k] = vec3f(0.0);
  }
  local.dt = state.step;
  local.alpha = FIRE_ALPHA_START;
  local.n_positive = 0u;
}

fn fire_finish_step(dt: f32) {
  var sums = vec3f(0.0);
  var fmax2 = 0.0;
  for (var k = 0u; k < OWNED_ATOMS; k++) {
    if (atom_of(k) >= N_ATOMS) {
      break;
    }
    v[k] += 0.5 * dt * f[k];
    let fi2 = dot(f[k], f[k]);
    // |F|^2, |v|^2 and the power F . v.
    sums += vec3f(fi2, dot(v[k], v[k]), dot(f[k], v[k]));
    fmax2 = max(fmax2, fi2);
  }
  let totals = reduce4(vec4f(sums, fmax2));
  set_replica_fmax(totals.w);
  if (diverged()) {
    return;
  }
  let f2 = totals.x;
  let v2 = totals.y;
  let power = totals.z;
  let mix = local.alpha;
  let ratio = sqrt(v2) / max(sqrt(f2), 1e-30);
  for (var k = 0u; k < OWNED_ATOMS; k++) {
    v[k] += mix * (f[k] * ratio - v[k]);
  }
  if (power >= 0.0) {
    local.n_positive += 1u;
  } else {
    local.n_positive = 0u;
  }
  if (power > 0.0 && local.n_positive > FIRE_N_MIN) {
    local.dt = min(local.dt * FIRE_F_INC, FIRE_DT_MAX);
    local.alpha *= FIRE_F_ALPHA;
  }
  if (power < 0.0) {
    local.dt *= FIRE_F_DEC;
    local.alpha = FIRE_ALPHA_START;
    for (var k = 0u; k < OWNED_ATOMS; k++) {
      v[k] = vec3f(0.0);
    }
  }
}

// One FIRE step (fire.wgsl; the anneal's relaxation after its schedule): the half kick, the move
// of dt v scaled down to MAX_STEP for the largest atom, the evaluation and the second half step.
// Loop budget: 4 OWNED_ATOMS and 2 reductions, plus the constraint and the evaluation.
fn fire_step() {
  let dt = local.dt;
  var largest2 = 0.0;
  for (var k = 0u; k < OWNED_ATOMS; k++) {
    if (atom_of(k) >= N_ATOMS) {
      break;
    }
    v[k] += 0.5 * dt * f[k];
    largest2 = max(largest2, dot(v[k], v[k]));
  }
  let largest = dt * sqrt(reduce4(vec4f(0.0, 0.0, 0.0, largest2)).w);
  let scale = select(1.0, MAX_STEP / largest, largest > MAX_STEP);
  var sum = vec3f(0.0);
  for (var k = 0u; k < OWNED_ATOMS; k++) {
    let i = atom_of(k);
    if (i >= N_ATOMS) {
      break;
    }
    x[i] += (scale * dt) * v[k];
    sum += x[i];
  }
  constrain_with_sum(sum);
  evaluate_energy();
  fire_finish_step(dt);
}
