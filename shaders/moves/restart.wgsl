// The restart move (src/methods/moves/restart.ts, its f64 mirror and declaration): a fresh random
// structure, like src/systems/random_structures.ts but with bounded trials: uniform in the sphere
// of START_RADIUS (or the box), PLACEMENT_TRIALS tries per atom to stay MIN_DISTANCE from the atoms
// already placed. Also what rejects a non-finite point outside hopping (shaders/driver.wgsl).
// Loop budget: PLACEMENT_TRIALS (N_ATOMS (N_ATOMS - 1) / 2 + N_ATOMS).

fn restart_move(dr: f32) -> bool {
  for (var i = 0u; i < N_ATOMS; i++) {
    var p = vec3f(0.0);
    for (var trial = 0u; trial < PLACEMENT_TRIALS; trial++) {
      if (PERIODIC) {
        p = BOX_SIDE * vec3f(rng_uniform(), rng_uniform(), rng_uniform());
      } else {
        p = random_in_cube(START_RADIUS);
        // Outside the ball: pull it in along the same direction, to a uniform-ish radius.
        if (length(p) > START_RADIUS) {
          p *= START_RADIUS * rng_uniform() / length(p);
        }
      }
      var clear = true;
      for (var j = 0u; j < i; j++) {
        let d = minimum_image(x[j] - p);
        clear = clear && dot(d, d) >= MIN_DISTANCE * MIN_DISTANCE;
      }
      if (clear) {
        break;
      }
    }
    if (owns(i)) {
      x[i] = p;
    }
    // Atom i is placed before anyone tests the next one against it.
    layout_barrier();
  }
  return true;
}
