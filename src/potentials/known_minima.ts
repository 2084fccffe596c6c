/**
 * Reference energies that travel with a system, so searches can report success against them.
 * Energies are totals for the whole system (not per atom) in the potential's units.
 */

export type KnownMinimumKind =
  /** Putative global minimum from a curated table (e.g. the Cambridge Cluster Database). */
  | "putative-global"
  /** A known funnel bottom or high-symmetry local minimum: reaching it is not success. */
  | "local"
  /** The global minimum is known to lie at or below this energy. */
  | "upper-bound"
  /** A typical value for a disordered state, for orientation only. */
  | "typical"
  /** No global minimum is known: the lowest minimum a pooled search ten times longer than a
   * training unroll found (data/pooled_minima.json, `deno task reference`). */
  | "pooled-best";

export interface KnownMinimum {
  energy: number;
  kind: KnownMinimumKind;
  description: string;
  source: string;
}

import POOLED_MINIMA from "../../data/pooled_minima.json" with { type: "json" };

const CCD = "Cambridge Cluster Database (Wales & Doye, J. Phys. Chem. A 101, 5111 (1997))";

/** Putative global minima of LJ_N, reduced units, no cutoff. */
export const LENNARD_JONES_GLOBAL_MINIMA: Record<number, number> = {
  2: -1.0,
  3: -3.0,
  4: -6.0,
  5: -9.103852,
  6: -12.712062,
  7: -16.505384,
  8: -19.821489,
  9: -24.11336,
  10: -28.422532,
  11: -32.76597,
  12: -37.9676,
  13: -44.326801,
  14: -47.845157,
  15: -52.322627,
  16: -56.815742,
  17: -61.317995,
  18: -66.530949,
  19: -72.659782,
  20: -77.177043,
  21: -81.684571,
  22: -86.809782,
  23: -92.844472,
  24: -97.348815,
  25: -102.372663,
  26: -108.315616,
  27: -112.873584,
  28: -117.822402,
  29: -123.587371,
  30: -128.286571,
  38: -173.928427,
  39: -180.033185,
  40: -185.249839,
  50: -244.549926,
  55: -279.248470,
  60: -305.875476,
  75: -397.492331,
};

export function lennardJonesKnownMinima(n: number): KnownMinimum[] {
  const known: KnownMinimum[] = [];
  const global = LENNARD_JONES_GLOBAL_MINIMA[n];
  if (global !== undefined) {
    known.push({ energy: global, kind: "putative-global", description: `LJ${n}`, source: CCD });
  }
  if (n === 38) {
    known.push({
      energy: -173.252378,
      kind: "local",
      description: "lowest icosahedral minimum of LJ38 (the trap funnel)",
      source: CCD,
    });
  }
  return known;
}

/** Cleri-Rosato Gupta 55-atom clusters (eV). Mackay icosahedra are local minima only. */
const GUPTA_55: Record<string, KnownMinimum[]> = {
  Au: [
    {
      energy: -190.779,
      kind: "upper-bound",
      description: "disordered Au55 global minimum lies below this",
      source: "Garzon et al., Phys. Rev. Lett. 81, 1600 (1998)",
    },
    { energy: -190.727416, kind: "local", description: "Mackay icosahedron", source: "relaxed" },
    { energy: -190.059258, kind: "local", description: "Ino decahedron", source: "relaxed" },
    { energy: -189.895904, kind: "local", description: "cuboctahedron", source: "relaxed" },
  ],
  Ag: [{
    energy: -142.031557,
    kind: "local",
    description: "Mackay icosahedron",
    source: "relaxed",
  }],
  Cu: [{
    energy: -163.213173,
    kind: "local",
    description: "Mackay icosahedron",
    source: "relaxed",
  }],
  Pd: [{
    energy: -193.836636,
    kind: "local",
    description: "Mackay icosahedron",
    source: "relaxed",
  }],
  Pt: [{
    energy: -292.795957,
    kind: "local",
    description: "Mackay icosahedron",
    source: "relaxed",
  }],
};

export function guptaKnownMinima(counts: Record<string, number>, set: string): KnownMinimum[] {
  const elements = Object.keys(counts);
  if (set !== "cleri-rosato" || elements.length !== 1 || counts[elements[0]] !== 55) return [];
  return GUPTA_55[elements[0]] ?? [];
}

/** SW diamond silicon: -4.33660 eV/atom at its equilibrium lattice constant 5.431 A. */
export const SW_DIAMOND_ENERGY_PER_ATOM = -4.3366;
export const SW_DIAMOND_LATTICE_CONSTANT = 5.431;

export function siliconKnownMinima(
  n: number,
  box: number,
  threeBodyStrength: number,
): KnownMinimum[] {
  if (threeBodyStrength !== 1) return [];
  const source = "Stillinger & Weber, Phys. Rev. B 31, 5262 (1985); LAMMPS Si.sw";
  const known: KnownMinimum[] = [];
  const cells = Math.round(Math.cbrt(n / 8));
  if (
    8 * cells ** 3 === n && Math.abs(box - cells * SW_DIAMOND_LATTICE_CONSTANT) < 1e-9
  ) {
    known.push({
      energy: n * SW_DIAMOND_ENERGY_PER_ATOM,
      kind: "putative-global",
      description: `diamond crystal, ${cells}x${cells}x${cells} cubic cells`,
      source,
    });
  }
  known.push({
    energy: n * -4.053,
    kind: "typical",
    description: "amorphous Si relaxed at fixed box (64 atoms, -4.053 eV/atom)",
    source: "SW amorphous-silicon studies; 0.28 eV/atom above diamond",
  });
  return known;
}

/** One entry of data/pooled_minima.json: what `deno task reference` ran and found. */
export interface PooledMinimum {
  /** f64 energy of the lowest minimum found (converged to REFINE_FMAX), system units. */
  energy: number;
  method: string;
  replicas: number;
  evaluationsPerReplica: number;
  seed: number;
  date: string;
}

/** The pooled minima by canonical system name. */
export const POOLED: Readonly<Record<string, PooledMinimum>> = POOLED_MINIMA.minima;

/** The pooled search's best for a system, where one was run. */
export function pooledKnownMinima(name: string): KnownMinimum[] {
  const pooled = Object.hasOwn(POOLED, name) ? POOLED[name] : undefined;
  if (pooled === undefined) return [];
  return [{
    energy: pooled.energy,
    kind: "pooled-best",
    description: `lowest minimum of a pooled ${pooled.method} run`,
    source: `${pooled.replicas} replicas x ${pooled.evaluationsPerReplica} evaluations, seed ` +
      `${pooled.seed}, ${pooled.date} (data/pooled_minima.json)`,
  }];
}

/** What training measures a system against: its putative global minimum, else the pooled
 * search's best; undefined where neither exists. */
export function trainingReference(known: KnownMinimum[]): KnownMinimum | undefined {
  return known.find((k) => k.kind === "putative-global") ??
    known.find((k) => k.kind === "pooled-best");
}
