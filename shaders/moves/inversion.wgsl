// The inversion move (src/methods/moves/inversion.ts, its f64 mirror and declaration): the Markov
// minimum averaged with its image under inversion through its centre. Each atom in index order
// claims the nearest unclaimed image of an atom of its own element (the image of atom j is
// 2 c - x[j]; distances within SURFACE_TIE, relative, of the nearest so far count as tied and go
// to the lower index, so f32 and f64 match alike) and moves halfway to it.
// Loop budget: N_ATOMS (N_ATOMS + 1) + 3 OWNED_ATOMS and a reduction.

fn inversion_move(dr: f32) -> bool {
  let centre = reduce4(vec4f(owned_position_sum(), 0.0)).xyz / f32(N_ATOMS);
  // Every atom's position visible to every invocation, which all run the same matching.
  layout_barrier();
  var claimed: array<bool, N_ATOMS>;
  var partner: array<u32, N_ATOMS>;
  for (var i = 0u; i < N_ATOMS; i++) {
    claimed[i] = false;
  }
  for (var i = 0u; i < N_ATOMS; i++) {
    var best = N_ATOMS;
    var nearest = 0.0;
    for (var j = 0u; j < N_ATOMS; j++) {
      if (claimed[j] || species[j] != species[i]) {
        continue;
      }
      let d = 2.0 * centre - x[j] - x[i];
      let d2 = dot(d, d);
      if (best == N_ATOMS || d2 < nearest - SURFACE_TIE * nearest) {
        best = j;
        nearest = d2;
      }
    }
    // Each element has as many images as atoms: one is always left.
    claimed[best] = true;
    partner[i] = best;
  }
  var moved: array<vec3f, OWNED_ATOMS>;
  for (var k = 0u; k < OWNED_ATOMS; k++) {
    let i = atom_of(k);
    if (i >= N_ATOMS) {
      break;
    }
    moved[k] = centre + 0.5 * (x[i] - x[partner[i]]);
  }
  // Everyone has read x[] before anyone writes it.
  layout_barrier();
  for (var k = 0u; k < OWNED_ATOMS; k++) {
    let i = atom_of(k);
    if (i >= N_ATOMS) {
      break;
    }
    x[i] = moved[k];
  }
  return true;
}
