// The swap move (src/methods/moves/swap.ts, its f64 mirror and declaration): the positions of a
// random pair of unlike atoms exchanged; false if no unlike partner turns up in PLACEMENT_TRIALS
// draws.
// Loop budget: PLACEMENT_TRIALS.

// Atoms i and j trade positions (also the segregate move's exchange).
fn exchange_positions(i: u32, j: u32) {
  layout_barrier();
  let xi = x[i];
  let xj = x[j];
  layout_barrier();
  if (owns(i)) {
    x[i] = xj;
  }
  if (owns(j)) {
    x[j] = xi;
  }
}

fn swap_move(dr: f32) -> bool {
  let i = min(u32(rng_uniform() * f32(N_ATOMS)), N_ATOMS - 1u);
  for (var trial = 0u; trial < PLACEMENT_TRIALS; trial++) {
    let j = min(u32(rng_uniform() * f32(N_ATOMS)), N_ATOMS - 1u);
    if (species[j] != species[i]) {
      exchange_positions(i, j);
      return true;
    }
  }
  return false;
}
