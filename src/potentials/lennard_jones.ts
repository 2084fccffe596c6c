/**
 * Lennard-Jones pair potential, no cutoff, reduced units (epsilon = sigma = 1 by default):
 *   E = sum_{i<j} 4 epsilon ((sigma/r)^12 - (sigma/r)^6).
 * Without a cutoff this reproduces the Cambridge Cluster Database energies exactly; codes that
 * truncate or shift (ASE's default 3 sigma, JAX MD's default) do not.
 */
import { displacementFor } from "./space.ts";
import type { EnergyForces, EnergyForcesFn, Structure } from "./types.ts";

export interface LennardJonesParams {
  epsilon: number;
  sigma: number;
}

export const REDUCED_UNITS: LennardJonesParams = { epsilon: 1, sigma: 1 };

export function lennardJones(params: LennardJonesParams = REDUCED_UNITS): EnergyForcesFn {
  const { epsilon, sigma } = params;
  const sigma2 = sigma * sigma;
  return (structure: Structure): EnergyForces => {
    const { positions } = structure;
    const n = positions.length / 3;
    const displacement = displacementFor(structure.box);
    const d = new Float64Array(3);
    const forces = new Float64Array(3 * n);
    const atomEnergies = new Float64Array(n);
    let energy = 0;
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const r2 = displacement(positions, i, j, d);
        const s6 = (sigma2 / r2) ** 3;
        const pair = 4 * epsilon * (s6 * s6 - s6);
        energy += pair;
        atomEnergies[i] += 0.5 * pair;
        atomEnergies[j] += 0.5 * pair;
        // -dE/dr * (1/r): the force on j along d = r_j - r_i is positive when repulsive.
        const fOverR = (24 * epsilon * (2 * s6 * s6 - s6)) / r2;
        for (let k = 0; k < 3; k++) {
          forces[3 * j + k] += fOverR * d[k];
          forces[3 * i + k] -= fOverR * d[k];
        }
      }
    }
    return { energy, forces, atomEnergies };
  };
}
