/**
 * Gupta / RGL second-moment tight-binding potential in the Cleri-Rosato form (eV, Angstrom):
 *   E = sum_i [ sum_{j != i} A_ab exp(-p_ab (r_ij/r0_ab - 1))
 *               - sqrt( sum_{j != i} xi_ab^2 exp(-2 q_ab (r_ij/r0_ab - 1)) ) ]
 * with a, b the species of atoms i and j; the repulsive sum runs over ordered pairs.
 *
 * Cutoff: clusters use none (`cutoff` = Infinity), which is what cluster global-minimum tables
 * assume. Bulk values (Cleri & Rosato's cohesive energies) need a hard cutoff between the 5th and
 * 6th fcc neighbour shells (r0 * sqrt(5) < rc < r0 * sqrt(6)); for Ni the tail beyond that changes
 * the cohesive energy by 0.25 eV/atom. A hard cutoff makes the energy jump where a pair crosses it;
 * forces are the exact gradient everywhere else.
 */
import parameterData from "../../data/gupta_parameters.json" with { type: "json" };
import { displacementFor } from "./space.ts";
import type { EnergyForces, EnergyForcesFn, Structure } from "./types.ts";

export interface GuptaPair {
  A: number;
  xi: number;
  p: number;
  q: number;
  r0: number;
}

export interface GuptaParams {
  /** Element symbols, indexed by the structure's species indices. */
  elements: string[];
  /** pairs[a][b] for species indices a, b (symmetric). */
  pairs: GuptaPair[][];
  /** Hard cutoff radius in Angstrom; Infinity for none. */
  cutoff: number;
  /** Which published set the parameters come from. */
  set: string;
}

export type GuptaSetName = keyof typeof parameterData.sets;
export const GUPTA_SETS = Object.keys(parameterData.sets) as GuptaSetName[];
export const DEFAULT_GUPTA_SET: GuptaSetName = "cleri-rosato";

/** The elements a parameter set has self-interaction parameters for. */
export function guptaElements(set: GuptaSetName = DEFAULT_GUPTA_SET): string[] {
  return Object.keys(parameterData.sets[set].pairs)
    .map((key) => key.split("-"))
    .filter(([a, b]) => a === b)
    .map(([a]) => a);
}

/** Looks up the parameters for `elements` in a published set; throws naming what is missing. */
export function guptaParams(
  elements: string[],
  set: GuptaSetName = DEFAULT_GUPTA_SET,
  cutoff?: number,
): GuptaParams {
  const data = parameterData.sets[set];
  if (data === undefined) {
    throw new Error(`unknown Gupta parameter set '${set}' (known: ${GUPTA_SETS.join(", ")})`);
  }
  const table = data.pairs as Record<string, GuptaPair>;
  const pairs = elements.map((a) =>
    elements.map((b) => {
      const found = table[`${a}-${b}`] ?? table[`${b}-${a}`];
      if (found === undefined) {
        throw new Error(
          `no Gupta parameters for ${a}-${b} in set '${set}' (elements: ${
            guptaElements(set).join(", ")
          })`,
        );
      }
      return found;
    })
  );
  const setCutoff = "cutoff" in data ? data.cutoff : Infinity;
  return { elements, pairs, cutoff: cutoff ?? setCutoff, set };
}

export function gupta(params: GuptaParams): EnergyForcesFn {
  const { pairs, cutoff } = params;
  const cutoff2 = cutoff * cutoff;
  return (structure: Structure): EnergyForces => {
    const { positions, species } = structure;
    const n = positions.length / 3;
    const displacement = displacementFor(structure.box);
    const d = new Float64Array(3);
    const density = new Float64Array(n);
    // Repulsive pair terms half to each atom, the embedding -sqrt(density_i) to atom i.
    const atomEnergies = new Float64Array(n);
    let energy = 0;
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const r2 = displacement(positions, i, j, d);
        if (r2 >= cutoff2) continue;
        const { A, xi, p, q, r0 } = pairs[species[i]][species[j]];
        const x = Math.sqrt(r2) / r0 - 1;
        const repulsive = A * Math.exp(-p * x);
        energy += 2 * repulsive;
        atomEnergies[i] += repulsive;
        atomEnergies[j] += repulsive;
        const phi = xi * xi * Math.exp(-2 * q * x);
        density[i] += phi;
        density[j] += phi;
      }
    }
    // dE/d(density_i) = -1 / (2 sqrt(density_i)); an atom with no neighbours contributes nothing.
    const embeddingSlope = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      if (density[i] > 0) {
        energy -= Math.sqrt(density[i]);
        atomEnergies[i] -= Math.sqrt(density[i]);
        embeddingSlope[i] = -0.5 / Math.sqrt(density[i]);
      }
    }
    const forces = new Float64Array(3 * n);
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const r2 = displacement(positions, i, j, d);
        if (r2 >= cutoff2) continue;
        const { A, xi, p, q, r0 } = pairs[species[i]][species[j]];
        const r = Math.sqrt(r2);
        const x = r / r0 - 1;
        const dRepulsive = (-2 * p / r0) * A * Math.exp(-p * x);
        const dPhi = (-2 * q / r0) * xi * xi * Math.exp(-2 * q * x);
        const dEdr = dRepulsive + (embeddingSlope[i] + embeddingSlope[j]) * dPhi;
        // d = r_j - r_i, so dE/dr_j = dEdr * d / r and dE/dr_i = -dEdr * d / r.
        const s = dEdr / r;
        for (let k = 0; k < 3; k++) {
          forces[3 * j + k] -= s * d[k];
          forces[3 * i + k] += s * d[k];
        }
      }
    }
    return { energy, forces, atomEnergies };
  };
}
