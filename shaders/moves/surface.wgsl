// The surface move (src/methods/moves/surface.ts, its f64 mirror and declaration): the atom of
// highest rank (atom_rank[], filled by the hop controller's rank_atoms: by default its energy share
// in the Markov minimum; ties within SURFACE_TIE of it, relative, go to the lowest index, so f32 and
// f64 pick the same) is put at a uniformly random direction SURFACE_OFFSET beyond the farthest
// other atom from the centre; nothing else moves.
// Loop budget: rank_atoms, then 3 N_ATOMS + OWNED_ATOMS.

// The atom of highest rank, ties within SURFACE_TIE (relative) to the lowest index; atom_rank[]
// filled and visible to every invocation. Also the symmetrise move's mover.
fn top_ranked_atom() -> u32 {
  var top = atom_rank[0];
  for (var i = 1u; i < N_ATOMS; i++) {
    top = max(top, atom_rank[i]);
  }
  let threshold = top - SURFACE_TIE * abs(top);
  for (var i = 0u; i < N_ATOMS; i++) {
    if (atom_rank[i] >= threshold) {
      return i;
    }
  }
  return 0u;
}

fn surface_move(dr: f32) -> bool {
  rank_atoms();
  layout_barrier();
  let chosen = top_ranked_atom();
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
  return true;
}
