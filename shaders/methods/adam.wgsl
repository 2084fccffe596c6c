// Adam (Kingma & Ba 2015), a local method of the fused kernel (src/methods/adam.ts), on the
// gradient -F with learning rate state.step; each atom's move capped at MAX_STEP.
// State: the step count t; planes: first moment m (private m1[]), second moment v (m2[]), one
// entry per owned atom.
// Loop budget per step: OWNED_ATOMS, plus the constraint and the evaluation.

var<private> m1: array<vec3f, OWNED_ATOMS>;
var<private> m2: array<vec3f, OWNED_ATOMS>;

fn local_load() {
  for (var k = 0u; k < OWNED_ATOMS; k++) {
    let i = atom_of(k);
    if (i >= N_ATOMS) {
      break;
    }
    m1[k] = read_plane(PLANE_MOMENT1, i);
    m2[k] = read_plane(PLANE_MOMENT2, i);
  }
}

fn local_store() {
  for (var k = 0u; k < OWNED_ATOMS; k++) {
    let i = atom_of(k);
    if (i >= N_ATOMS) {
      break;
    }
    write_plane(PLANE_MOMENT1, i, m1[k]);
    write_plane(PLANE_MOMENT2, i, m2[k]);
  }
}

fn local_reset() {
  for (var k = 0u; k < OWNED_ATOMS; k++) {
    m1[k] = vec3f(0.0);
    m2[k] = vec3f(0.0);
  }
  local.t = 0u;
}

fn local_step() {
  local.t += 1u;
  let t = f32(local.t);
  let correction1 = 1.0 - pow(ADAM_BETA1, t);
  let correction2 = 1.0 - pow(ADAM_BETA2, t);
  var sum = vec3f(0.0);
  for (var k = 0u; k < OWNED_ATOMS; k++) {
    let i = atom_of(k);
    if (i >= N_ATOMS) {
      break;
    }
    let gradient = -f[k];
    m1[k] = ADAM_BETA1 * m1[k] + (1.0 - ADAM_BETA1) * gradient;
    m2[k] = ADAM_BETA2 * m2[k] + (1.0 - ADAM_BETA2) * gradient * gradient;
    let m_hat = m1[k] / correction1;
    let v_hat = m2[k] / correction2;
    x[i] += capped(-state.step * m_hat / (sqrt(v_hat) + ADAM_EPSILON));
    sum += x[i];
  }
  constrain_with_sum(sum);
  evaluate();
}
