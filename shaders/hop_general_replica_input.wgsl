// hop-general's replica network input (src/learned/hopper.ts): the 8 replica features, then the 4
// family features of the relaxed minimum at x (src/learned/hop_features.ts, their f64 mirror).
// Loop budget: OWNED_ATOMS x N_ATOMS + OWNED_ATOMS and two reductions.
fn replica_input(features: array<vec4f, 2>) -> array<vec4f, REPLICA_INPUT_VEC4S> {
  // Every atom's position is visible to every invocation before the pair loops read them.
  layout_barrier();
  let n = f32(N_ATOMS);
  var coordination = 0.0;
  var energy = 0.0;
  for (var k = 0u; k < OWNED_ATOMS; k++) {
    let i = atom_of(k);
    if (i >= N_ATOMS) {
      break;
    }
    for (var j = 0u; j < N_ATOMS; j++) {
      if (j == i) {
        continue;
      }
      let d = minimum_image(x[j] - x[i]);
      let q = dot(d, d) / (COORDINATION_RADIUS * COORDINATION_RADIUS);
      coordination += 1.0 / (1.0 + q * q * q);
    }
    if (ATOM_ENERGIES) {
      energy += atom_energy[k] / n;
    }
  }
  // reduce4 maximises w: the sums go through x and y.
  let sums = reduce4(vec4f(coordination, energy, 0.0, 0.0));
  var spread = 0.0;
  if (ATOM_ENERGIES) {
    var variance = 0.0;
    for (var k = 0u; k < OWNED_ATOMS; k++) {
      if (atom_of(k) >= N_ATOMS) {
        break;
      }
      let e = atom_energy[k] - sums.y;
      variance += e * e / n;
    }
    spread = sqrt(reduce4(vec4f(variance, 0.0, 0.0, 0.0)).x) / (abs(sums.y) + HOP_TINY);
  }
  return array<vec4f, REPLICA_INPUT_VEC4S>(
    features[0],
    features[1],
    vec4f(
      sums.x / n / NEIGHBOUR_NORM,
      HOP_SEVERAL_ELEMENTS,
      spread,
      hop_log10(1.0 + f32(state.relax_steps)) / 3.0,
    ),
  );
}
