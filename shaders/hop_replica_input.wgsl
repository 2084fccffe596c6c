// hop-residual's replica network input (src/learned/hopper.ts): the 8 replica features.
fn replica_input(features: array<vec4f, 2>) -> array<vec4f, REPLICA_INPUT_VEC4S> {
  return features;
}
