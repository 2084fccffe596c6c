// What every FIRE-like local method shares (fire.wgsl, fire_residual.wgsl; src/methods/fire.ts
// FIRE_COMMON_SHADER): the velocity plane (private v[]) loaded, stored and reset with FIRE's state
// (dt = the replica's step, alpha, the count of steps with positive power), and FIRE's second half
// step after the forces at the new positions (Bitzek et al., PRL 97, 170201 (2006), as JAX MD's
// fire_descent): the velocity's second half kick, the largest force, the mixing of the velocity
// towards the force, and dt and alpha adapted by the power F . v. Loop budget of the half step:
// 2 N_ATOMS.

var<private> v: array<vec3f, N_ATOMS>;

fn local_load() {
  for (var i = 0u; i < N_ATOMS; i++) {
    v[i] = read_plane(PLANE_VELOCITY, i);
  }
}

fn local_store() {
  for (var i = 0u; i < N_ATOMS; i++) {
    write_plane(PLANE_VELOCITY, i, v[i]);
  }
}

fn local_reset() {
  for (var i = 0u; i < N_ATOMS; i++) {
    v[i] = vec3f(0.0);
  }
  local.dt = state.step;
  local.alpha = FIRE_ALPHA_START;
  local.n_positive = 0u;
}

fn fire_finish_step(dt: f32) {
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
  let mix = local.alpha;
  let ratio = sqrt(v2) / max(sqrt(f2), 1e-30);
  for (var i = 0u; i < N_ATOMS; i++) {
    v[i] += mix * (f[i] * ratio - v[i]);
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
    for (var i = 0u; i < N_ATOMS; i++) {
      v[i] = vec3f(0.0);
    }
  }
}
