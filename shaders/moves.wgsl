// Hop proposals of the hopping wrapper (shaders/hopping.wgsl), each mirrored in f64 by
// src/methods/moves.ts, which documents them. Each starts from x = the Markov chain's minimum and
// changes x in place; the wrapper then constrains and evaluates.
// Loop budget: uniform N_ATOMS; surface 4 N_ATOMS; swap PLACEMENT_TRIALS; restart
// PLACEMENT_TRIALS (N_ATOMS (N_ATOMS - 1) / 2 + N_ATOMS).

fn random_in_cube(half_side: f32) -> vec3f {
  return half_side * (2.0 * vec3f(rng_uniform(), rng_uniform(), rng_uniform()) - 1.0);
}

// Every coordinate displaced uniformly in [-dr, dr].
fn uniform_move(dr: f32) {
  for (var i = 0u; i < N_ATOMS; i++) {
    x[i] += random_in_cube(dr);
  }
}

// The atom of highest rank (atom_rank[], filled by rank_atoms: by default its energy share in the
// Markov minimum; ties within SURFACE_TIE of it, relative, go to the lowest index, so f32 and f64
// pick the same) is put at a uniformly random direction SURFACE_OFFSET beyond the farthest other
// atom from the centre; nothing else moves.
fn surface_move() {
  var top = atom_rank[0];
  for (var i = 1u; i < N_ATOMS; i++) {
    top = max(top, atom_rank[i]);
  }
  let threshold = top - SURFACE_TIE * abs(top);
  var chosen = 0u;
  for (var i = 0u; i < N_ATOMS; i++) {
    if (atom_rank[i] >= threshold) {
      chosen = i;
      break;
    }
  }
  var centre = vec3f(0.0);
  for (var i = 0u; i < N_ATOMS; i++) {
    centre += x[i];
  }
  centre /= f32(N_ATOMS);
  var radius = 0.0;
  for (var i = 0u; i < N_ATOMS; i++) {
    if (i != chosen) {
      radius = max(radius, length(x[i] - centre));
    }
  }
  let z = 2.0 * rng_uniform() - 1.0;
  let phi = TWO_PI * rng_uniform();
  let ring = sqrt(max(0.0, 1.0 - z * z));
  x[chosen] = centre + (radius + SURFACE_OFFSET) * vec3f(ring * cos(phi), ring * sin(phi), z);
}

// Exchanges the positions of a random pair of unlike atoms; false if none was found.
fn swap_move() -> bool {
  let i = min(u32(rng_uniform() * f32(N_ATOMS)), N_ATOMS - 1u);
  for (var trial = 0u; trial < PLACEMENT_TRIALS; trial++) {
    let j = min(u32(rng_uniform() * f32(N_ATOMS)), N_ATOMS - 1u);
    if (species[j] != species[i]) {
      let t = x[i];
      x[i] = x[j];
      x[j] = t;
      return true;
    }
  }
  return false;
}

// A fresh random structure (random restarts), like src/systems/random_structures.ts but with
// bounded trials: uniform in the sphere (or box), PLACEMENT_TRIALS tries per atom to stay
// MIN_DISTANCE from the atoms already placed.
fn restart_move() {
  for (var i = 0u; i < N_ATOMS; i++) {
    for (var trial = 0u; trial < PLACEMENT_TRIALS; trial++) {
      var p = vec3f(0.0);
      if (PERIODIC) {
        p = BOX_SIDE * vec3f(rng_uniform(), rng_uniform(), rng_uniform());
      } else {
        p = random_in_cube(START_RADIUS);
        // Outside the ball: pull it in along the same direction, to a uniform-ish radius.
        if (length(p) > START_RADIUS) {
          p *= START_RADIUS * rng_uniform() / length(p);
        }
      }
      x[i] = p;
      var clear = true;
      for (var j = 0u; j < i; j++) {
        let d = minimum_image(x[j] - p);
        clear = clear && dot(d, d) >= MIN_DISTANCE * MIN_DISTANCE;
      }
      if (clear) {
        break;
      }
    }
  }
}
