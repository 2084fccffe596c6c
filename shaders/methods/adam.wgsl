// Adam (Kingma & Ba 2015), a local method of the fused kernel (src/methods/adam.ts), on the
// gradient -F with learning rate state.step; each atom's move capped at MAX_STEP.
// State: the step count t; planes: first moment m (private m1[]), second moment v (m2[]).
// Loop budget per step: N_ATOMS, plus the constraint and the evaluation.

var<private> m1: array<vec3f, N_ATOMS>;
var<private> m2: array<vec3f, N_ATOMS>;

fn local_load() {
  for (var i = 0u; i < N_ATOMS; i++) {
    m1[i] = read_plane(PLANE_MOMENT1, i);
    m2[i] = read_plane(PLANE_MOMENT2, i);
  }
}

fn local_store() {
  for (var i = 0u; i < N_ATOMS; i++) {
    write_plane(PLANE_MOMENT1, i, m1[i]);
    write_plane(PLANE_MOMENT2, i, m2[i]);
  }
}

fn local_reset() {
  for (var i = 0u; i < N_ATOMS; i++) {
    m1[i] = vec3f(0.0);
    m2[i] = vec3f(0.0);
  }
  local.t = 0u;
}

fn local_step() {
  local.t += 1u;
  let t = f32(local.t);
  let correction1 = 1.0 - pow(ADAM_BETA1, t);
  let correction2 = 1.0 - pow(ADAM_BETA2, t);
  var sum = vec3f(0.0);
  for (var i = 0u; i < N_ATOMS; i++) {
    let gradient = -f[i];
    m1[i] = ADAM_BETA1 * m1[i] + (1.0 - ADAM_BETA1) * gradient;
    m2[i] = ADAM_BETA2 * m2[i] + (1.0 - ADAM_BETA2) * gradient * gradient;
    let m_hat = m1[i] / correction1;
    let v_hat = m2[i] / correction2;
    x[i] += capped(-state.step * m_hat / (sqrt(v_hat) + ADAM_EPSILON));
    sum += x[i];
  }
  constrain_with_sum(sum);
  evaluate();
}
