// FIRE (Bitzek et al., PRL 97, 170201 (2006)) as in JAX MD's fire_descent (velocity Verlet with
// unit masses), a local method of the fused kernel (src/methods/fire.ts), plus ASE's maxstep: when
// the largest atom displacement dt |v_i| exceeds MAX_STEP, the whole step is scaled down.
// State: dt, alpha and the count of steps with positive power; plane: the velocity (private v[]).
// Loop budget per step: 4 OWNED_ATOMS and 2 reductions, plus the constraint and the evaluation.

fn local_step() {
  fire_step();
}
