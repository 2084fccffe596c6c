// The symmetrise move (src/methods/moves/symmetrise.ts, its f64 mirror and declaration): a
// symmetry element through the centre (inversion, a mirror plane or a C2-C6 axis, its direction
// towards a random atom); the most stable atom (lowest rank, ties within SURFACE_TIE to the lowest
// index) whose image under it lies farther than SYMMETRY_TOLERANCE from every atom gets that image
// filled by the least stable atom
// (top_ranked_atom, shaders/moves/surface.wgsl). False when every image is occupied or the mover
// is that atom itself.
// Loop budget: rank_atoms, then N_ATOMS (N_ATOMS + 4) + OWNED_ATOMS and a reduction.

fn symmetry_image(p: vec3f, centre: vec3f, element: u32, axis: vec3f) -> vec3f {
  let v = p - centre;
  if (element == 0u) {
    return centre - v;
  }
  if (element == 1u) {
    return centre + v - 2.0 * dot(v, axis) * axis;
  }
  // A C_order axis, order = element (2..6).
  let angle = TWO_PI / f32(element);
  let c = cos(angle);
  return centre + v * c + cross(axis, v) * sin(angle) + axis * (dot(axis, v) * (1.0 - c));
}

fn symmetrise_move(dr: f32) -> bool {
  let element = min(u32(rng_uniform() * 7.0), 6u);
  let toward = min(u32(rng_uniform() * f32(N_ATOMS)), N_ATOMS - 1u);
  rank_atoms();
  let centre = reduce4(vec4f(owned_position_sum(), 0.0)).xyz / f32(N_ATOMS);
  // Every atom's position and rank visible to every invocation.
  layout_barrier();
  var axis = x[toward] - centre;
  if (dot(axis, axis) < 1e-12) {
    axis = vec3f(0.0, 0.0, 1.0);
  }
  axis = normalize(axis);
  // Which atoms' images are empty, and the lowest rank among them; then the first of them within
  // SURFACE_TIE (relative) of it: symmetric atoms share their energies, and f32 and f64 must pick
  // alike.
  var empty: array<bool, N_ATOMS>;
  var lowest = 0.0;
  var found = false;
  for (var k = 0u; k < N_ATOMS; k++) {
    let image = symmetry_image(x[k], centre, element, axis);
    var clear = true;
    for (var j = 0u; j < N_ATOMS; j++) {
      let d = x[j] - image;
      clear = clear && dot(d, d) >= SYMMETRY_TOLERANCE * SYMMETRY_TOLERANCE;
    }
    empty[k] = clear;
    if (clear && (!found || atom_rank[k] < lowest)) {
      lowest = atom_rank[k];
      found = true;
    }
  }
  var partner = N_ATOMS;
  let threshold = lowest + SURFACE_TIE * abs(lowest);
  for (var k = 0u; k < N_ATOMS; k++) {
    if (found && empty[k] && atom_rank[k] <= threshold) {
      partner = k;
      break;
    }
  }
  let mover = top_ranked_atom();
  var site = vec3f(0.0);
  if (partner < N_ATOMS) {
    site = symmetry_image(x[partner], centre, element, axis);
  }
  // Everyone has read x[] before anyone writes it: here, or in the uniform move that follows a
  // move not made.
  layout_barrier();
  if (partner == N_ATOMS || mover == partner) {
    return false;
  }
  if (owns(mover)) {
    x[mover] = site;
  }
  return true;
}
