// A melt-quench anneal, a local method of the fused kernel (src/methods/anneal.ts: schedule,
// units and references): Langevin dynamics (velocity Verlet with unit masses, each atom's move
// capped at MAX_STEP, then v <- c v + sqrt((1 - c^2) kT) xi) at kT = the replica's temperature for
// ANNEAL_HOLD evaluations, falling linearly to 0 at ANNEAL_STEPS; then FIRE (fire_common.wgsl)
// until the driver's fmax. The replica's step is the time step. State: FIRE's, and `quenched`.
// Loop budget per step: the dynamics 2 OWNED_ATOMS, FIRE's 4 OWNED_ATOMS and 2 reductions, plus
// the constraint and the evaluation; 6 random draws per atom.

fn anneal_temperature(e: u32) -> f32 {
  if (e < ANNEAL_HOLD) {
    return state.temperature;
  }
  return state.temperature * f32(ANNEAL_STEPS - e) / f32(ANNEAL_STEPS - ANNEAL_HOLD);
}

fn local_step() {
  let e = state.evaluations;
  if (e >= ANNEAL_STEPS) {
    if (local.quenched == 0u) {
      local_reset();
      local.quenched = 1u;
    }
    fire_step();
    return;
  }
  let dt = state.step;
  var sum = vec3f(0.0);
  for (var k = 0u; k < OWNED_ATOMS; k++) {
    let i = atom_of(k);
    if (i >= N_ATOMS) {
      break;
    }
    v[k] += 0.5 * dt * f[k];
    x[i] += capped(dt * v[k]);
    sum += x[i];
  }
  constrain_with_sum(sum);
  evaluate();
  if (diverged()) {
    return;
  }
  let c = exp(-ANNEAL_FRICTION * dt);
  let noise = sqrt((1.0 - c * c) * anneal_temperature(e));
  // The next atom whose random numbers are at the head of the stream (atom_normals).
  var drawn = 0u;
  for (var k = 0u; k < OWNED_ATOMS; k++) {
    let i = atom_of(k);
    if (i >= N_ATOMS) {
      break;
    }
    v[k] = c * (v[k] + 0.5 * dt * f[k]) + noise * atom_normals(i, &drawn);
  }
  skip_atom_normals(drawn);
}
