// fire-residual, a local method of the fused kernel (src/learned/fire_residual.ts, which documents
// the features, the outputs and the step, and holds the f64 mirror): FIRE as in fire.wgsl (JAX
// MD's fire_descent with ASE's maxstep), each atom's displacement times exp(clamp(o_step)) plus a
// Gaussian kick of rms length KICK_SCALE bond clamp(o_kick, 0, limit), the outputs of a per-atom
// network 12 -> 16 (ReLU) -> 16 (ReLU) -> 4 on the atom's features. At o = 0 it is FIRE exactly.
//
// Weights: the driver's `weights` holds one theta per ES population member, FR_PARAMETER_VEC4S
// vec4s each, in src/learned/mlp.ts's layout (4x4 blocks, biases after each layer's blocks).
// State: dt, alpha and the count of steps with positive power; plane: the velocity (private v[]).
// Random numbers: 3 standard normals per atom per step, whatever the outputs, so the stream does
// not depend on the weights.
// The network's forward pass, fire_residual_network(), is generated (FIRE_RESIDUAL_NETWORK.wgsl).
// Loop budget per step: OWNED_ATOMS (sums and half kick) + OWNED_ATOMS x (1 + the network's
// iterations) + 3 OWNED_ATOMS (FIRE after the evaluation), 6 N_ATOMS skipped random draws
// (workgroup layout) and 4 reductions, plus the constraint and the evaluation (fire_residual.ts
// declares it).
// Generated constants (fire_residual.ts): FIRE_* (JAX_MD_FIRE), FR_PARAMETER_VEC4S,
// FR_INPUT_VEC4S, FR_OUTPUT_LIMIT, FR_TINY,
// FR_LOG2_TO_FEATURE (log10(2) / 4), FR_KICK_UNIT (KICK_SCALE bond / sqrt(3)), FR_BOND_LENGTH,
// FR_ENERGY_SCALE.

fn local_step() {
  let n = f32(N_ATOMS);
  let dt = local.dt;
  var f2 = 0.0;
  var fmax2 = 0.0;
  var power = 0.0;
  var largest2 = 0.0;
  for (var k = 0u; k < OWNED_ATOMS; k++) {
    if (atom_of(k) >= N_ATOMS) {
      break;
    }
    power += dot(f[k], v[k]);
    v[k] += 0.5 * dt * f[k];
    let fi2 = dot(f[k], f[k]);
    f2 += fi2;
    fmax2 = max(fmax2, fi2);
    largest2 = max(largest2, dot(v[k], v[k]));
  }
  let sums = reduce4(vec4f(power, f2, 0.0, fmax2));
  power = sums.x;
  f2 = sums.y;
  fmax2 = sums.w;
  largest2 = reduce4(vec4f(0.0, 0.0, 0.0, largest2)).w;
  let largest = dt * sqrt(largest2);
  let scale = select(1.0, MAX_STEP / largest, largest > MAX_STEP);
  let rms_force = sqrt(f2 / n) + FR_TINY;
  let largest_force = sqrt(fmax2) + FR_TINY;
  let force_level = tanh(log2(rms_force) * FR_LOG2_TO_FEATURE);
  let power_sign = sign(power);
  let dt_feature = dt / FIRE_DT_MAX;
  let alpha_feature = local.alpha / FIRE_ALPHA_START;
  let positive_feature = tanh(f32(local.n_positive) / f32(FIRE_N_MIN) - 1.0);
  let gap = tanh((state.energy - state.best_energy) / (n * FR_ENERGY_SCALE));
  let since = f32(state.since_best);
  let since10 = tanh(since / 10.0 - 1.0);
  let since100 = tanh(since / 100.0 - 1.0);
  let base = state.weights * FR_PARAMETER_VEC4S;
  var sum = vec3f(0.0);
  // The next atom whose random numbers are at the head of the stream (atom_normals).
  var drawn = 0u;
  for (var k = 0u; k < OWNED_ATOMS; k++) {
    let i = atom_of(k);
    if (i >= N_ATOMS) {
      break;
    }
    let fi = f[k];
    let force = length(fi);
    let ratio = force / rms_force;
    let from_best = minimum_image(x[i] - read_best(i));
    let features = array<vec4f, FR_INPUT_VEC4S>(
      vec4f(
        (ratio - 1.0) / (ratio + 1.0),
        force / largest_force,
        force_level,
        dot(fi, v[k]) / (force * length(v[k]) + FR_TINY),
      ),
      vec4f(power_sign, dt_feature, alpha_feature, positive_feature),
      vec4f(gap, since10, since100, tanh(length(from_best) / FR_BOND_LENGTH)),
    );
    let out = fire_residual_network(base, features)[0];
    let factor = exp(clamp(out.x, -FR_OUTPUT_LIMIT, FR_OUTPUT_LIMIT));
    let kick = FR_KICK_UNIT * clamp(out.y, 0.0, FR_OUTPUT_LIMIT);
    let xi = atom_normals(i, &drawn);
    let d = factor * ((scale * dt) * v[k]);
    x[i] += select(d, capped(d), factor > 1.0) + kick * xi;
    sum += x[i];
  }
  skip_atom_normals(drawn);
  constrain_with_sum(sum);
  evaluate_energy();
  fire_finish_step(dt);
}
