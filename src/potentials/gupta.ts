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
import { UserError } from "../core/errors.ts";
import { quoted } from "../core/quote.ts";
import GUPTA_WGSL from "../../shaders/potentials/gupta.wgsl" with { type: "text" };
import GUPTA_ATOM from "../../shaders/potentials/gupta_atom.wgsl" with { type: "text" };
import GUPTA_REPLICA from "../../shaders/potentials/gupta_replica.wgsl" with { type: "text" };
import { guptaKnownMinima } from "./known_minima.ts";
import { ELECTRON_VOLTS, type NameSettings, type PotentialEntry } from "./potential.ts";
import { displacementFor } from "./space.ts";
import type { EnergyForces, EnergyForcesFn, Structure } from "./types.ts";

/** The largest finite f32, standing for "no cutoff" (avoids infinities on fast-math GPUs). */
const NO_CUTOFF2 = 3.4e38;

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

/** The set a system name's settings choose, or a UserError naming the known ones. */
function chosenSet(settings: NameSettings): GuptaSetName {
  const set = (settings.text("set") ?? DEFAULT_GUPTA_SET) as GuptaSetName;
  if (!GUPTA_SETS.includes(set)) {
    throw new UserError(
      `unknown Gupta parameter set ${quoted(set)} (known: ${GUPTA_SETS.join(", ")})`,
    );
  }
  return set;
}

export const GUPTA: PotentialEntry<"gupta", GuptaParams> = {
  kind: "gupta",
  label: "Gupta",
  units: ELECTRON_VOLTS,
  reference: gupta,
  cutoff: (p) => p.cutoff,
  energyScale: 4,
  // LJ's rule (a little above melting) gives about k T_melt: 0.1 eV (1,160 K; Au melts at
  // 1,337 K, Ag 1,235 K, Cu 1,358 K).
  hopTemperature: () => 0.1,
  // 0.15 eV (1,740 K), above the melting points of Cu, Ag and Au.
  meltTemperature: () => 0.15,
  families: { gupta: "one-metal Gupta clusters", alloy: "two-metal Gupta clusters" },
  familyOf: (nElements) => nElements > 1 ? "alloy" : "gupta",
  naming: {
    example: "Au38",
    anySymbol: false,
    periodic: "optional",
    settings: ["set", "cutoff"],
    elements: (settings) => guptaElements(chosenSet(settings)),
    shorthand: (word) => (GUPTA_SETS as string[]).includes(word) ? `set=${word}` : undefined,
    parse(counts, settings) {
      const set = chosenSet(settings);
      const elements = Object.keys(counts);
      let params;
      try {
        params = guptaParams(elements, set, settings.number("cutoff"));
      } catch (error) {
        throw new UserError((error as Error).message);
      }
      const box = settings.number("L");
      const nAtoms = elements.reduce((sum, e) => sum + counts[e], 0);
      const bondLength =
        elements.reduce((sum, e, a) => sum + counts[e] * params.pairs[a][a].r0, 0) / nAtoms;
      return {
        params,
        box,
        bondLength,
        known: box === undefined ? guptaKnownMinima(counts, set) : [],
      };
    },
  },
  wgsl: {
    terms: GUPTA_WGSL,
    atom: GUPTA_ATOM,
    replica: GUPTA_REPLICA,
    layout({ pairs, cutoff }, nSpecies) {
      const params = new Float32Array(nSpecies * nSpecies * 8);
      for (let a = 0; a < nSpecies; a++) {
        for (let b = 0; b < nSpecies; b++) {
          const { A, xi, p, q, r0 } = pairs[a][b];
          params.set(
            [A, xi * xi, p, q, r0, Math.min(cutoff * cutoff, NO_CUTOFF2)],
            (a * nSpecies + b) * 8,
          );
        }
      }
      // One aux word per atom: its density (pass 1 of the atom view).
      return { params, auxWords: 1, constants: {} };
    },
    // gupta_replica.wgsl: the clearing loop, two i < j passes, the embedding loop; then the
    // driver's loop clearing the per-atom energies.
    replicaIterations: (n) => n * (n - 1) + 4 * n + n,
    // gupta_atom.wgsl: every j in each of the two passes.
    atomIterations: (n) => 2 * n,
  },
};
