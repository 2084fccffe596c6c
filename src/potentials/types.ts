/** What every f64 reference potential takes and returns. */

/** One configuration: N atoms, positions flat [x0, y0, z0, ...], species indices per atom. */
export interface Structure {
  positions: ArrayLike<number>;
  /** Index into the system's species list for each atom (all zeros for one element). */
  species: ArrayLike<number>;
  /** Side of the periodic cubic box; undefined for a free cluster. */
  box?: number;
}

export interface EnergyForces {
  energy: number;
  /** Forces, the exact negative gradient of `energy`, flat like the positions. */
  forces: Float64Array;
  /** Each atom's share of the energy, summing to it (clusters' potentials: LJ and Gupta; the
   * hopping wrapper's surface move picks the highest). */
  atomEnergies?: Float64Array;
}

export type EnergyForcesFn = (structure: Structure) => EnergyForces;
