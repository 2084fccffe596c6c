// The cap rotation (src/methods/moves/cap.ts, its f64 mirror and declaration): the atoms of a cap,
// those beyond a plane at a random height (a share of the farthest atom's) across a random
// direction n from the centre, turn rigidly by a random angle about the axis through the centre
// along n; the rest stays.
// Loop budget: 3 OWNED_ATOMS and two reductions.

fn cap_move(dr: f32) -> bool {
  let z = 2.0 * rng_uniform() - 1.0;
  let phi = TWO_PI * rng_uniform();
  let ring = sqrt(max(0.0, 1.0 - z * z));
  let n = vec3f(ring * cos(phi), ring * sin(phi), z);
  let share = rng_uniform();
  let angle = TWO_PI * rng_uniform();
  let centre = reduce4(vec4f(owned_position_sum(), 0.0)).xyz / f32(N_ATOMS);
  var top = -1e30;
  for (var k = 0u; k < OWNED_ATOMS; k++) {
    let i = atom_of(k);
    if (i >= N_ATOMS) {
      break;
    }
    top = max(top, dot(x[i] - centre, n));
  }
  top = reduce4(vec4f(0.0, 0.0, 0.0, top)).w;
  let cut = share * top;
  let c = cos(angle);
  let s = sin(angle);
  for (var k = 0u; k < OWNED_ATOMS; k++) {
    let i = atom_of(k);
    if (i >= N_ATOMS) {
      break;
    }
    let v = x[i] - centre;
    let h = dot(v, n);
    if (h >= cut) {
      // Rodrigues' rotation of v about n.
      x[i] = centre + v * c + cross(n, v) * s + n * (h * (1.0 - c));
    }
  }
  return true;
}
