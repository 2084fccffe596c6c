// The hopping wrapper's hand-designed decisions (src/methods/hop_control.ts): every multiplier
// 1, every logit 0, and the surface move takes the atom of highest energy share in the Markov
// chain's minimum. No loops beyond rank_atoms' OWNED_ATOMS.

fn hop_decide() -> HopDecision {
  var d: HopDecision; // every logit 0
  d.temperature_scale = 1.0;
  d.dr_scale = 1.0;
  d.hop_fmax_scale = 1.0;
  return d;
}

fn rank_atoms() {
  for (var k = 0u; k < OWNED_ATOMS; k++) {
    let i = atom_of(k);
    if (i >= N_ATOMS) {
      break;
    }
    atom_rank[i] = atom_energies[atom_energy_index(1u, i)];
  }
}
