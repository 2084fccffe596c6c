// FIRE (Bitzek et al., PRL 97, 170201 (2006)) as in JAX MD's fire_descent (velocity Verlet with
// unit masses), a local method of the fused kernel (src/methods/fire.ts), plus ASE's maxstep: when
// the largest atom displacement dt |v_i| exceeds MAX_STEP, the whole step is scaled down.
// State: dt, alpha and the count of steps with positive power; plane: the velocity (private v[]).
// Loop budget per step: 4 N_ATOMS, plus the constraint and the evaluation.

fn local_step() {
  let dt = local.dt;
  var largest2 = 0.0;
  for (var i = 0u; i < N_ATOMS; i++) {
    v[i] += 0.5 * dt * f[i];
    largest2 = max(largest2, dot(v[i], v[i]));
  }
  let largest = dt * sqrt(largest2);
  let scale = select(1.0, MAX_STEP / largest, largest > MAX_STEP);
  var sum = vec3f(0.0);
  for (var i = 0u; i < N_ATOMS; i++) {
    x[i] += (scale * dt) * v[i];
    sum += x[i];
  }
  constrain_with_sum(sum);
  evaluate_energy();
  fire_finish_step(dt);
}
