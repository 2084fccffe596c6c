// The learned hopper's hop controller (src/learned/hopper.ts, which documents the decisions; the
// features are those of src/learned/hop_features.ts, its f64 mirror). Every decision is basin
// hopping's default times exp(a network output clamped to HOP_OUTPUT_LIMIT); with zero output
// layers it is basin hopping exactly.
//
// Weights: the driver's `weights`, HOPPER_VEC4S vec4s per weight vector, the replica network
// (4 REPLICA_INPUT_VEC4S -> 16 ReLU -> 8: the replica features, and for hop-general the family
// features, as the architecture's replica_input() gives them, shaders/hop_*replica_input.wgsl),
// then the atom network (8 -> 8 ReLU -> 4) at ATOM_L0, in 4x4 blocks (src/learned/mlp.ts); their
// forward passes, replica_mlp() and atom_mlp(), are generated (MlpLayout.wgsl).
// Loop budget: hop_decide the replica network's iterations and replica_input's; rank_atoms
// 3 OWNED_ATOMS + OWNED_ATOMS x (N_ATOMS + the atom network's iterations) and 3 reductions
// (hopper.ts declares it).
// Generated constants (hopper.ts): HOPPER_VEC4S, ATOM_L0 (vec4s), REPLICA_INPUT_VEC4S,
// HOP_OUTPUT_LIMIT, HOP_TINY, HOP_BOND_LENGTH, HOP_ENERGY_SCALE, HOP_DEFAULT_DR,
// COORDINATION_RADIUS, RADIAL_CENTRE_0..2, RADIAL_WIDTH (lengths), NEIGHBOUR_NORM,
// HOP_SPECIES_SCALE (1 / (species - 1), 0 for one element), HOP_SEVERAL_ELEMENTS (1 for two or
// more elements, else 0), REPLICA_INPUT_VEC4S.

fn hop_weights_base() -> u32 {
  return state.weights * HOPPER_VEC4S;
}

// The replica network's outputs (replica_mlp, generated), each clamped to HOP_OUTPUT_LIMIT.
fn replica_network(input: array<vec4f, REPLICA_INPUT_VEC4S>) -> array<vec4f, 2> {
  let o = replica_mlp(hop_weights_base(), input);
  let limit = vec4f(HOP_OUTPUT_LIMIT);
  return array<vec4f, 2>(clamp(o[0], -limit, limit), clamp(o[1], -limit, limit));
}

// The atom network's first output (atom_mlp, generated), the atom's score, clamped.
fn atom_network(input: array<vec4f, 2>) -> f32 {
  let o = atom_mlp(hop_weights_base() + ATOM_L0, input);
  return clamp(o[0].x, -HOP_OUTPUT_LIMIT, HOP_OUTPUT_LIMIT);
}

fn hop_log10(value: f32) -> f32 {
  return log2(value) * 0.30102999566398120;
}

fn hop_decide() -> HopDecision {
  let n = f32(N_ATOMS);
  let scale = n * HOP_ENERGY_SCALE;
  var window = state.hops - 1u;
  if (ADAPT_INTERVAL > 0u) {
    window = (state.hops - 1u) % ADAPT_INTERVAL;
  }
  var acceptance = 0.5;
  if (window > 0u) {
    acceptance = f32(state.window_accepted) / f32(window);
  }
  var above_markov = 0.0;
  if (state.markov_energy < NO_ENERGY) {
    above_markov = tanh((state.energy - state.markov_energy) / scale);
  }
  var relax = 0.0;
  if (RELAX_STEP_CAP > 0u) {
    relax = f32(state.relax_steps) / f32(RELAX_STEP_CAP);
  }
  let tolerance = settings.fmax * state.hop_fmax_scale;
  let features = array<vec4f, 2>(
    vec4f(
      tanh(hop_log10(max(state.fmax, HOP_TINY) / tolerance)),
      relax,
      above_markov,
      tanh((state.energy - state.best_energy) / scale),
    ),
    vec4f(
      hop_log10(1.0 + f32(state.since_best)) / 4.0,
      acceptance,
      log2(n) / 10.0,
      tanh(log2(state.dr / HOP_DEFAULT_DR)),
    ),
  );
  let o = replica_network(replica_input(features));
  let scales = exp(o[0]);
  var d: HopDecision; // logits 0 but those set below
  d.temperature_scale = scales.x;
  d.dr_scale = scales.y;
  d.hop_fmax_scale = scales.z;
  d.logits[MOVE_INDEX_SURFACE] = o[0].w;
  d.logits[MOVE_INDEX_SWAP] = o[1].x;
  d.logits[MOVE_INDEX_RESTART] = o[1].y;
  d.logits[MOVE_INDEX_BOND_SWITCH] = o[1].z;
  d.logits[MOVE_INDEX_KICK] = o[1].w;
  return d;
}

fn radial(r: f32, centre: f32) -> f32 {
  let t = (r - centre) / RADIAL_WIDTH;
  return exp(-t * t);
}

// Atom ranks for a surface move, x at the Markov chain's minimum (clusters only).
fn rank_atoms() {
  // Every atom is at the Markov minimum, and its energy share stored, before anyone reads them.
  layout_barrier();
  let n = f32(N_ATOMS);
  var sums = vec4f(0.0);
  for (var k = 0u; k < OWNED_ATOMS; k++) {
    let i = atom_of(k);
    if (i >= N_ATOMS) {
      break;
    }
    sums += vec4f(x[i] / n, atom_energies[atom_energy_index(1u, i)] / n);
  }
  // reduce4 maximises w: the mean energy goes through xyz of a second reduction.
  let centre = reduce4(vec4f(sums.xyz, 0.0)).xyz;
  let mean = reduce4(vec4f(sums.w, 0.0, 0.0, 0.0)).x;
  var spreads = vec2f(0.0);
  for (var k = 0u; k < OWNED_ATOMS; k++) {
    let i = atom_of(k);
    if (i >= N_ATOMS) {
      break;
    }
    let e = atom_energies[atom_energy_index(1u, i)] - mean;
    let d = x[i] - centre;
    spreads += vec2f(e * e / n, dot(d, d) / n);
  }
  let reduced = reduce4(vec4f(spreads, 0.0, 0.0));
  let spread = sqrt(reduced.x) + HOP_TINY;
  let rg = sqrt(reduced.y) + HOP_TINY;
  let gap = tanh((state.markov_energy - state.best_energy) / (n * HOP_ENERGY_SCALE));
  for (var k = 0u; k < OWNED_ATOMS; k++) {
    let i = atom_of(k);
    if (i >= N_ATOMS) {
      break;
    }
    var coordination = 0.0;
    var densities = vec3f(0.0);
    for (var j = 0u; j < N_ATOMS; j++) {
      if (j == i) {
        continue;
      }
      let r = length(x[j] - x[i]);
      let q = (r / COORDINATION_RADIUS) * (r / COORDINATION_RADIUS);
      coordination += 1.0 / (1.0 + q * q * q);
      densities += vec3f(
        radial(r, RADIAL_CENTRE_0),
        radial(r, RADIAL_CENTRE_1),
        radial(r, RADIAL_CENTRE_2),
      );
    }
    let energy = atom_energies[atom_energy_index(1u, i)];
    let features = array<vec4f, 2>(
      vec4f(
        (energy - mean) / spread,
        coordination / NEIGHBOUR_NORM,
        length(x[i] - centre) / rg,
        densities.x / NEIGHBOUR_NORM,
      ),
      vec4f(
        densities.y / NEIGHBOUR_NORM,
        densities.z / NEIGHBOUR_NORM,
        f32(species[i]) * HOP_SPECIES_SCALE,
        gap,
      ),
    );
    atom_rank[i] = energy + HOP_ENERGY_SCALE * atom_network(features);
  }
}
