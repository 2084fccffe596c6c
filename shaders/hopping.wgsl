// The hopping wrapper over any local method (Wales & Doye 1997), mirrored in f64 by
// src/methods/reference_replica.ts: once a relaxation ends (largest force below settings.fmax times
// state.hop_fmax_scale, or RELAX_STEP_CAP steps), log the minimum, take the hop's decisions
// (hop_decide: the defaults, or a hop controller's, src/methods/hop_control.ts), accept the minimum
// by Metropolis at the replica's temperature times the decision's scale, adapt dr every
// ADAPT_INTERVAL hops toward half accepted (GMIN's rule), then propose a new start from the Markov
// chain's minimum with one of the moves of shaders/moves.wgsl, chosen by the replica's move
// probabilities (with a controller, reweighted by its logits), and reset the local method. Costs
// one evaluation (the new start).
// Loop budget: the evaluation, 6 OWNED_ATOMS + LOG_CAPACITY, the move, rank_atoms (surface moves), the
// controller's hop_decide and the method's reset.

// A hop's decisions (src/methods/hop_control.ts), returned by the controller's hop_decide().
struct HopDecision {
  temperature_scale: f32,
  dr_scale: f32,
  hop_fmax_scale: f32,
  surface_logit: f32,
  swap_logit: f32,
  restart_logit: f32,
}

// The probability of each move after the decision's logits: p exp(logit), renormalised (uniform's
// logit is 0). Without a controller, the replica's probabilities as they are.
fn move_probabilities(d: HopDecision) -> vec3f {
  let p = vec3f(state.restart_probability, state.surface_probability, state.swap_probability);
  if (!HOP_CONTROL) {
    return p;
  }
  let w = p * exp(vec3f(d.restart_logit, d.surface_logit, d.swap_logit));
  let uniform = max(0.0, 1.0 - p.x - p.y - p.z);
  return w / (uniform + w.x + w.y + w.z);
}

fn propose(d: HopDecision) {
  let dr = state.dr * d.dr_scale;
  if (!(MOVE_SURFACE || MOVE_SWAP || MOVE_RESTART)) {
    uniform_move(dr);
    return;
  }
  let p = move_probabilities(d);
  let u = rng_uniform();
  if (MOVE_RESTART && u < p.x) {
    restart_move();
    return;
  }
  let surface_until = p.x + p.y;
  if (MOVE_SURFACE && u < surface_until) {
    rank_atoms();
    surface_move();
    return;
  }
  if (MOVE_SWAP && u < surface_until + p.z && swap_move()) {
    return;
  }
  uniform_move(dr);
}

fn hop() {
  log_minimum();
  state.hops += 1u;
  let d = hop_decide();
  state.hop_fmax_scale = d.hop_fmax_scale;
  let temperature = state.temperature * d.temperature_scale;
  let rise = state.energy - state.markov_energy;
  let accept = rise < 0.0 ||
    (temperature > 0.0 && rng_uniform() < exp(-rise / temperature));
  if (accept) {
    state.markov_energy = state.energy;
    state.accepted += 1u;
    state.window_accepted += 1u;
    for (var k = 0u; k < OWNED_ATOMS; k++) {
      let i = atom_of(k);
      if (i >= N_ATOMS) {
        break;
      }
      write_plane(PLANE_MARKOV, i, x[i]);
      if (ATOM_ENERGIES) {
        atom_energies[atom_energy_index(1u, i)] = atom_energy[k];
      }
    }
  }
  if (ADAPT_INTERVAL > 0u && state.hops % ADAPT_INTERVAL == 0u) {
    let grow = 2u * state.window_accepted > ADAPT_INTERVAL;
    state.dr = select(state.dr / ADAPT_FACTOR, state.dr * ADAPT_FACTOR, grow);
    state.window_accepted = 0u;
  }
  for (var k = 0u; k < OWNED_ATOMS; k++) {
    let i = atom_of(k);
    if (i >= N_ATOMS) {
      break;
    }
    x[i] = read_plane(PLANE_MARKOV, i);
  }
  propose(d);
  constrain();
  local_reset();
  state.relax_steps = 0u;
  evaluate();
}
