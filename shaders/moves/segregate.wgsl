// The segregate move (src/methods/moves/segregate.ts, its f64 mirror and declaration): of
// SEGREGATE_CANDIDATES random unlike pairs (each drawn as the swap move draws one), the pair whose
// exchange lowers the energy most by a first-order estimate from the atoms' energy shares at the
// Markov minimum has its positions exchanged; false if no unlike pair turns up. Estimates within
// SURFACE_TIE (relative) of the lowest so far do not replace it, so f32 and f64 pick the same.
// Loop budget: SEGREGATE_CANDIDATES (PLACEMENT_TRIALS + 2 N_ATOMS).

// The mean energy share, at the Markov minimum, of the atoms of element s.
fn mean_share(s: u32) -> f32 {
  var sum = 0.0;
  var count = 0.0;
  for (var i = 0u; i < N_ATOMS; i++) {
    if (species[i] == s) {
      sum += atom_energies[atom_energy_index(1u, i)];
      count += 1.0;
    }
  }
  return sum / max(count, 1.0);
}

// The energy change of exchanging atoms i and j, to first order: each atom's share rescaled by the
// ratio of the two elements' mean shares (the element that binds more strongly gains at the site
// where the other bound most).
fn exchange_estimate(i: u32, j: u32) -> f32 {
  let mi = mean_share(species[i]);
  let mj = mean_share(species[j]);
  if (mi == 0.0 || mj == 0.0) {
    return 0.0;
  }
  let ei = atom_energies[atom_energy_index(1u, i)];
  let ej = atom_energies[atom_energy_index(1u, j)];
  return ei * (mj / mi - 1.0) + ej * (mi / mj - 1.0);
}

fn segregate_move(dr: f32) -> bool {
  // The Markov minimum's shares, written by their owners at the last accepted hop.
  layout_barrier();
  var best_i = N_ATOMS;
  var best_j = 0u;
  var best = 0.0;
  for (var c = 0u; c < SEGREGATE_CANDIDATES; c++) {
    let i = min(u32(rng_uniform() * f32(N_ATOMS)), N_ATOMS - 1u);
    for (var trial = 0u; trial < PLACEMENT_TRIALS; trial++) {
      let j = min(u32(rng_uniform() * f32(N_ATOMS)), N_ATOMS - 1u);
      if (species[j] != species[i]) {
        let estimate = exchange_estimate(i, j);
        if (best_i == N_ATOMS || estimate < best - SURFACE_TIE * abs(best)) {
          best_i = i;
          best_j = j;
          best = estimate;
        }
        break;
      }
    }
  }
  if (best_i == N_ATOMS) {
    return false;
  }
  exchange_positions(best_i, best_j);
  return true;
}
