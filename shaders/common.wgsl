// Shared by every potential: what a potential returns for one atom.
struct AtomEnergyForce {
  // Atom's share of the replica energy; the shares sum to the total.
  energy: f32,
  // Force on the atom, the exact negative gradient of the total energy.
  force: vec3f,
}
