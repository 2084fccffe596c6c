// The kick (src/methods/moves/kick.ts, its f64 mirror and declaration): the atom of highest rank
// (top_ranked_atom, shaders/moves/surface.wgsl) and every atom within KICK_REACH2 (squared,
// minimum image) of it displaced uniformly in [-dr, dr] per coordinate. Every invocation draws the
// same 3 uniforms per atom.
// Loop budget: rank_atoms, then 3 N_ATOMS.

fn kick_move(dr: f32) -> bool {
  rank_atoms();
  layout_barrier();
  let chosen = top_ranked_atom();
  let centre = x[chosen];
  layout_barrier();
  for (var i = 0u; i < N_ATOMS; i++) {
    let d = random_in_cube(dr);
    if (owns(i)) {
      let s = minimum_image(x[i] - centre);
      if (dot(s, s) < KICK_REACH2) {
        x[i] += d;
      }
    }
  }
  return true;
}
