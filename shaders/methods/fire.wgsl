// FIRE (Bitzek et al., PRL 97, 170201 (2006)) as in JAX MD's fire_descent (velocity Verlet with
// unit masses), a local method of the fused kernel (src/methods/fire.ts), plus ASE's maxstep: when
// the largest atom displacement dt |v_i| exceeds MAX_STEP, the whole step is scaled down.
// State: dt, alpha and the count of steps with positive power; plane: the velocity (private v[]).
// Loop budget per step: 4 OWNED_ATOMS and 2 reductions, plus the constraint and the evaluation.

fn local_step() {
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
