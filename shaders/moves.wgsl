// Hop proposals of the hopping wrapper (shaders/hopping.wgsl), each mirrored in f64 by
// src/methods/moves.ts, which documents them. Each starts from x = the Markov chain's minimum and
// changes x in place; the wrapper then constrains and evaluates. Every invocation of a replica
// draws the same random numbers in the same order; an atom's new position is written by its owner
// (shaders/layouts/).
// Loop budget: uniform N_ATOMS; surface 3 N_ATOMS + OWNED_ATOMS; swap PLACEMENT_TRIALS; restart
// PLACEMENT_TRIALS (N_ATOMS (N_ATOMS - 1) / 2 + N_ATOMS).

fn random_in_cube(half_side: f32) -> vec3f {
  return half_side * (2.0 * vec3f(rng_uniform(), rng_uniform(), rng_uniform()) - 1.0);
}

// Every coordinate displaced uniformly in [-dr, dr].
fn uniform_move(dr: f32) {
  for (var i = 0u; i < N_ATOMS; i++) {
    let d = random_in_cube(dr);
    if (owns(i)) {
      x[i] += d;
    }
  }
}

// The atom of highest rank (atom_rank[], filled by rank_atoms: by default its energy share in the
// Markov minimum; ties within SURFACE_TIE of it, relative, go to the lowest index, so f32 and f64
// pick the same) is put at a uniformly random direction SURFACE_OFFSET beyond the farthest other
// atom from the centre; nothing else moves.
fn surface_move() {
  layout_barrier();
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
  let centre = reduce4(vec4f(owned_position_sum(), 0.0)).xyz / f32(N_ATOMS);
  var radius = 0.0;
  for (var k = 0u; k < OWNED_ATOMS; k++) {
    let i = atom_of(k);
    if (i >= N_ATOMS) {
      break;
    }
    if (i != chosen) {
      radius = max(radius, length(x[i] - centre));
    }
  }
  radius = reduce4(vec4f(0.0, 0.0, 0.0, radius)).w;
  let z = 2.0 * rng_uniform() - 1.0;
  let phi = TWO_PI * rng_uniform();
  let ring = sqrt(max(0.0, 1.0 - z * z));
  if (owns(chosen)) {
    x[chosen] = centre + (radius + SURFACE_OFFSET) * vec3f(ring * cos(phi), ring * sin(phi), z);
  }
}

// Exchanges the positions of a random pair of unlike atoms; false if none was found.
fn swap_move() -> bool {
  let i = min(u32(rng_uniform() * f32(N_ATOMS)), N_ATOMS - 1u);
  for (var trial = 0u; trial < PLACEMENT_TRIALS; trial++) {
    let j = min(u32(rng_uniform() * f32(N_ATOMS)), N_ATOMS - 1u);
    if (species[j] != species[i]) {
      layout_barrier();
      let xi = x[i];
      let xj = x[j];
      layout_barrier();
      if (owns(i)) {
        x[i] = xj;
      }
      if (owns(j)) {
        x[j] = xi;
      }
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
}
