// The per-atom MLP learned optimizer, a local method of the fused kernel (src/learned/
// per_atom_mlp.ts): the network of src/learned/architecture.ts on the features of
// src/learned/features.ts, which document every input and the step; its f64 mirror is in
// per_atom_mlp.ts.
//
// Weights: the driver's `weights` holds one theta per ES population member, PARAMETER_VEC4S vec4s
// each, laid out in 4x4 blocks (columns of 4 outputs), biases after each layer's blocks.
// Momenta of the force live in the planes PLANE_M05, PLANE_M09 and PLANE_M099 of `vectors`.
// The network's forward pass, per_atom_network(), is generated (PER_ATOM_NETWORK.wgsl).
// Loop budget per step: 2 OWNED_ATOMS atom loops with the network's iterations per atom,
// 6 N_ATOMS skipped random draws (workgroup layout) and 2 reductions, plus the constraint and the
// evaluation (per_atom_mlp.ts declares it).
// Generated constants (per_atom_mlp.ts): PARAMETER_VEC4S, STEP_SCALE, NOISE_BIAS, TINY,
// MOMENTUM_DECAY_0..2, LEARNED_BOND_LENGTH, LEARNED_ENERGY_SCALE.

fn cosine(a: vec3f, b: vec3f) -> f32 {
  return dot(a, b) / (length(a) * length(b) + TINY);
}

fn time_feature(t: f32, tau: f32) -> f32 {
  return tanh(t / tau - 1.0);
}

fn local_load() {}

fn local_store() {}

fn local_reset() {
  for (var k = 0u; k < OWNED_ATOMS; k++) {
    let i = atom_of(k);
    if (i >= N_ATOMS) {
      break;
    }
    write_plane(PLANE_M05, i, vec3f(0.0));
    write_plane(PLANE_M09, i, vec3f(0.0));
    write_plane(PLANE_M099, i, vec3f(0.0));
  }
}

fn local_step() {
  let n = f32(N_ATOMS);
  let decays = vec3f(MOMENTUM_DECAY_0, MOMENTUM_DECAY_1, MOMENTUM_DECAY_2);
  var force2 = 0.0;
  var momentum2 = vec3f(0.0);
  for (var k = 0u; k < OWNED_ATOMS; k++) {
    let i = atom_of(k);
    if (i >= N_ATOMS) {
      break;
    }
    let fi = f[k];
    let m05 = decays.x * read_plane(PLANE_M05, i) + (1.0 - decays.x) * fi;
    let m09 = decays.y * read_plane(PLANE_M09, i) + (1.0 - decays.y) * fi;
    let m099 = decays.z * read_plane(PLANE_M099, i) + (1.0 - decays.z) * fi;
    write_plane(PLANE_M05, i, m05);
    write_plane(PLANE_M09, i, m09);
    write_plane(PLANE_M099, i, m099);
    force2 += dot(fi, fi);
    momentum2 += vec3f(dot(m05, m05), dot(m09, m09), dot(m099, m099));
  }
  force2 = reduce4(vec4f(force2, 0.0, 0.0, 0.0)).x;
  momentum2 = reduce4(vec4f(momentum2, 0.0)).xyz;
  let rms_force = sqrt(force2 / n) + TINY;
  let rms_momenta = sqrt(momentum2 / n) + TINY;
  let gap = tanh((state.energy - state.best_energy) / (n * LEARNED_ENERGY_SCALE));
  let since = f32(state.since_best);
  let t = f32(state.evaluations);
  let bond = LEARNED_BOND_LENGTH;
  let base = state.weights * PARAMETER_VEC4S;
  var sum = vec3f(0.0);
  // The next atom whose random numbers are at the head of the stream (atom_normals).
  var drawn = 0u;
  for (var k = 0u; k < OWNED_ATOMS; k++) {
    let i = atom_of(k);
    if (i >= N_ATOMS) {
      break;
    }
    let fi = f[k];
    let m05 = read_plane(PLANE_M05, i);
    let m09 = read_plane(PLANE_M09, i);
    let m099 = read_plane(PLANE_M099, i);
    let from_best = x[i] - read_best(i);
    let features = array<vec4f, 4>(
      vec4f(
        length(fi) / rms_force,
        tanh(log2(rms_force) * 0.15051499783199057),
        length(m05) / rms_momenta.x,
        length(m09) / rms_momenta.y,
      ),
      vec4f(length(m099) / rms_momenta.z, cosine(fi, m05), cosine(fi, m09), cosine(fi, m099)),
      vec4f(gap, time_feature(since, 10.0), time_feature(since, 100.0), time_feature(t, 10.0)),
      vec4f(
        time_feature(t, 100.0),
        time_feature(t, 1000.0),
        tanh(length(from_best) / bond),
        cosine(fi, from_best),
      ),
    );
    let out = per_atom_network(base, features)[0];
    let xi = atom_normals(i, &drawn);
    let scale = STEP_SCALE * bond * exp(out.z);
    let step = (scale * out.x / rms_force) * fi + (scale * out.y / rms_momenta.y) * m09 +
      (bond * exp(out.w + NOISE_BIAS)) * xi;
    x[i] += capped(step);
    sum += x[i];
  }
  skip_atom_normals(drawn);
  constrain_with_sum(sum);
  evaluate();
}
