// The hopping wrapper over any local method (Wales & Doye 1997), mirrored in f64 by
// src/methods/reference_replica.ts: once a relaxation ends (largest force below settings.fmax times
// state.hop_fmax_scale, or RELAX_STEP_CAP steps), log the minimum, take the hop's decisions
// (hop_decide: the defaults, or a hop controller's, src/methods/hop_control.ts), accept the minimum
// by Metropolis at the replica's temperature times the decision's scale, adapt dr every
// ADAPT_INTERVAL hops toward half accepted (GMIN's rule), then propose a new start from the Markov
// chain's minimum with one of the registered moves (shaders/moves/), chosen by the replica's move
// probabilities (with a controller, reweighted by its logits), and reset the local method; with
// RESEED_HOPS, a chain whose lowest minimum has not improved for that many hops restarts from a
// random structure instead (GMIN's NEWRESTART), at once where TABOO finds its lowest minimum on
// the replica's taboo list (GMIN's AVOID). Costs one evaluation (the new start).
// Loop budget: the evaluation, 6 OWNED_ATOMS + LOG_CAPACITY + 3 MOVE_COUNT (+ 3 TABOO_CAPACITY),
// the move (with rank_atoms for a surface move), the controller's hop_decide and the method's
// reset.

// A hop's decisions, returned by the controller's hop_decide(): the HopDecision struct is generated
// from src/methods/hop_control.ts (HOP_DECISION_LAYOUT); controllers set its fields by name.

// The probability of each registered move after the decision's logits: p exp(logit),
// renormalised with the uniform move's remainder (its logit is 0). Without a controller, the
// replica's probabilities as they are.
fn move_probabilities(d: HopDecision) -> array<f32, MOVE_COUNT> {
  var p = replica_move_probabilities();
  if (!HOP_CONTROL) {
    return p;
  }
  // Function-scope copies: the loops index them at run time.
  var logits = d.logits;
  var uniform = 1.0;
  var w = p;
  for (var k = 0u; k < MOVE_COUNT; k++) {
    uniform -= p[k];
    w[k] = p[k] * exp(logits[k]);
  }
  var total = max(0.0, uniform);
  for (var k = 0u; k < MOVE_COUNT; k++) {
    total += w[k];
  }
  for (var k = 0u; k < MOVE_COUNT; k++) {
    w[k] /= total;
  }
  return w;
}

// propose(d), which draws one move by these probabilities in the registry's order and falls back
// to the uniform move, is generated with replica_move_probabilities() from the registry
// (src/methods/moves/move_source.ts).

// GMIN's AVOID: whether energy e is on the replica's taboo list (within RESEED_TOLERANCE: the
// energy stands for the minimum, as in the minima archive).
fn on_taboo_list(e: f32) -> bool {
  let saved = min(state.taboo_saved, TABOO_CAPACITY);
  for (var k = 0u; k < saved; k++) {
    if (abs(e - state.taboo[k]) <= RESEED_TOLERANCE) {
      return true;
    }
  }
  return false;
}

// A stale chain ends, before every reseed (the kernel's here, the host's in place()): the reseed
// is counted, and with TABOO the chain's lowest minimum joins the taboo list (once; the oldest
// entry makes room).
fn end_stale_chain() {
  state.reseeds += 1u;
  if (!TABOO || state.chain_best == NO_ENERGY || on_taboo_list(state.chain_best)) {
    return;
  }
  state.taboo[state.taboo_saved % TABOO_CAPACITY] = state.chain_best;
  state.taboo_saved += 1u;
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
  if (RESEED_HOPS > 0u) {
    if (state.energy < state.chain_best - RESEED_TOLERANCE) {
      state.chain_best = state.energy;
      state.stale_hops = 0u;
      if (TABOO && on_taboo_list(state.chain_best)) {
        // Where an earlier chain went stale: this one is stale now.
        state.taboo_hits += 1u;
        state.stale_hops = RESEED_HOPS;
      }
    } else {
      state.stale_hops += 1u;
    }
  }
  if (RESEED_HOPS > 0u && !RESEED_BY_HOST && state.stale_hops >= RESEED_HOPS) {
    // GMIN's NEWRESTART: a stale chain starts afresh and accepts its next minimum. With
    // RESEED_BY_HOST the host does it from its pool at the next sync (place() in driver.wgsl).
    end_stale_chain();
    state.stale_hops = 0u;
    state.chain_best = NO_ENERGY;
    state.markov_energy = NO_ENERGY;
    restart_move(0.0);
  } else {
    for (var k = 0u; k < OWNED_ATOMS; k++) {
      let i = atom_of(k);
      if (i >= N_ATOMS) {
        break;
      }
      x[i] = read_plane(PLANE_MARKOV, i);
    }
    propose(d);
  }
  constrain();
  local_reset();
  state.relax_steps = 0u;
  evaluate();
}
