// The hopping wrapper over any local method (Wales & Doye 1997), mirrored in f64 by
// src/methods/reference_replica.ts: once a relaxation ends (largest force below settings.fmax, or
// RELAX_STEP_CAP steps), log the minimum, accept it by Metropolis at the replica's temperature,
// adapt dr every ADAPT_INTERVAL hops toward half accepted (GMIN's rule), then propose a new start
// from the Markov chain's minimum with one of the moves of shaders/moves.wgsl, chosen by the
// replica's move probabilities, and reset the local method. Costs one evaluation (the new start).
// Loop budget: the evaluation, 6 N_ATOMS + LOG_CAPACITY, the move and the method's reset.

fn propose() {
  if (!(MOVE_SURFACE || MOVE_SWAP || MOVE_RESTART)) {
    uniform_move();
    return;
  }
  let u = rng_uniform();
  if (MOVE_RESTART && u < state.restart_probability) {
    restart_move();
    return;
  }
  let surface_until = state.restart_probability + state.surface_probability;
  if (MOVE_SURFACE && u < surface_until) {
    surface_move();
    return;
  }
  if (MOVE_SWAP && u < surface_until + state.swap_probability && swap_move()) {
    return;
  }
  uniform_move();
}

fn hop() {
  log_minimum();
  state.hops += 1u;
  let rise = state.energy - state.markov_energy;
  let accept = rise < 0.0 ||
    (state.temperature > 0.0 && rng_uniform() < exp(-rise / state.temperature));
  if (accept) {
    state.markov_energy = state.energy;
    state.accepted += 1u;
    state.window_accepted += 1u;
    for (var i = 0u; i < N_ATOMS; i++) {
      write_plane(PLANE_MARKOV, i, x[i]);
      if (ATOM_ENERGIES) {
        atom_energies[atom_energy_index(1u, i)] = atom_energy[i];
      }
    }
  }
  if (ADAPT_INTERVAL > 0u && state.hops % ADAPT_INTERVAL == 0u) {
    let grow = 2u * state.window_accepted > ADAPT_INTERVAL;
    state.dr = select(state.dr / ADAPT_FACTOR, state.dr * ADAPT_FACTOR, grow);
    state.window_accepted = 0u;
  }
  for (var i = 0u; i < N_ATOMS; i++) {
    x[i] = read_plane(PLANE_MARKOV, i);
  }
  propose();
  constrain();
  local_reset();
  state.relax_steps = 0u;
  evaluate();
}
