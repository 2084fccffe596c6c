// Gradient descent, a local method of the fused kernel (src/methods/gradient_descent.ts):
// x += step F, each atom's move capped at MAX_STEP. No state.
// Loop budget per step: OWNED_ATOMS, plus the constraint and the evaluation.

fn local_load() {}

fn local_store() {}

fn local_reset() {}

fn local_step() {
  var sum = vec3f(0.0);
  for (var k = 0u; k < OWNED_ATOMS; k++) {
    let i = atom_of(k);
    if (i >= N_ATOMS) {
      break;
    }
    x[i] += capped(state.step * f[k]);
    sum += x[i];
  }
  constrain_with_sum(sum);
  evaluate();
}
