// The bond switch (src/methods/moves/bond_switch.ts, its f64 mirror and declaration): of bonded
// atoms A-B-C-D, B-C is turned 90 degrees about its midpoint in the plane it shares with D - A, so
// that A-B and C-D break and A-C and B-D form (Wooten, Winer & Weaire). B random, C and A random
// neighbours of B, D the neighbour of C farthest across the bond from A; false where B has fewer
// than two neighbours, C none but B, or D - A lies along the bond. Bonded: closer than
// BOND_SWITCH_CUTOFF2 (squared), minimum image. Every invocation draws the same 3 uniforms.
// Loop budget: 4 N_ATOMS.

fn bond_switch_bonded(i: u32, j: u32) -> bool {
  let d = minimum_image(x[j] - x[i]);
  return j != i && dot(d, d) < BOND_SWITCH_CUTOFF2;
}

fn bond_switch_move(dr: f32) -> bool {
  let b = min(u32(rng_uniform() * f32(N_ATOMS)), N_ATOMS - 1u);
  let uc = rng_uniform();
  let ua = rng_uniform();
  layout_barrier();
  var count = 0u;
  for (var j = 0u; j < N_ATOMS; j++) {
    if (bond_switch_bonded(b, j)) {
      count += 1u;
    }
  }
  if (count < 2u) {
    return false;
  }
  // C: B's neighbour number kc; A: number ka of the others (index order).
  let kc = min(u32(uc * f32(count)), count - 1u);
  let ka = min(u32(ua * f32(count - 1u)), count - 2u);
  var c = 0u;
  var seen = 0u;
  for (var j = 0u; j < N_ATOMS; j++) {
    if (bond_switch_bonded(b, j)) {
      if (seen == kc) {
        c = j;
      }
      seen += 1u;
    }
  }
  var a = 0u;
  seen = 0u;
  for (var j = 0u; j < N_ATOMS; j++) {
    if (j != c && bond_switch_bonded(b, j)) {
      if (seen == ka) {
        a = j;
      }
      seen += 1u;
    }
  }
  let u = minimum_image(x[c] - x[b]);
  let axis = normalize(u);
  let pa = minimum_image(x[a] - x[b]);
  var best = -1.0;
  var across = vec3f(0.0);
  for (var j = 0u; j < N_ATOMS; j++) {
    if (j != b && bond_switch_bonded(c, j)) {
      let w = u + minimum_image(x[j] - x[c]) - pa;
      let perpendicular = w - dot(w, axis) * axis;
      let size2 = dot(perpendicular, perpendicular);
      if (size2 > best) {
        best = size2;
        across = perpendicular;
      }
    }
  }
  if (best < BOND_SWITCH_DEGENERATE2) {
    return false;
  }
  let middle = x[b] + 0.5 * u;
  let turned = (0.5 * length(u) / sqrt(best)) * across;
  layout_barrier();
  if (owns(b)) {
    x[b] = middle + turned;
  }
  if (owns(c)) {
    x[c] = middle - turned;
  }
  return true;
}
