// The uniform move (src/methods/moves/uniform.ts, its f64 mirror and declaration): every
// coordinate displaced uniformly in [-dr, dr]. The base move: the hopping wrapper makes it when no
// other is drawn or the one drawn could not be made.
// Loop budget: N_ATOMS.

fn random_in_cube(half_side: f32) -> vec3f {
  return half_side * (2.0 * vec3f(rng_uniform(), rng_uniform(), rng_uniform()) - 1.0);
}

fn uniform_move(dr: f32) {
  for (var i = 0u; i < N_ATOMS; i++) {
    let d = random_in_cube(dr);
    if (owns(i)) {
      x[i] += d;
    }
  }
}
