/**
 * Lennard-Jones pair potential, no cutoff, reduced units (epsilon = sigma = 1 by default):
 *   E = sum_{i<j} 4 epsilon ((sigma/r)^12 - (sigma/r)^6).
 * Without a cutoff this reproduces the Cambridge Cluster Database energies exactly; codes that
 * truncate or shift (ASE's default 3 sigma, JAX MD's default) do not.
 * Systems: LJ38 (clusters only). WGSL: shaders/potentials/lennard_jones.wgsl.
 */
import LENNARD_JONES_WGSL from "../../shaders/potentials/lennard_jones.wgsl" with { type: "text" };
import { lennardJonesKnownMinima } from "./known_minima.ts";
import { pairPotential, type PairTerm, pairWgsl } from "./pair_potential.ts";
import { type PotentialEntry, REDUCED } from "./potential.ts";
import type { EnergyForcesFn } from "./types.ts";

export interface LennardJonesParams {
  epsilon: number;
  sigma: number;
}

export const REDUCED_UNITS: LennardJonesParams = { epsilon: 1, sigma: 1 };

export function lennardJonesPair({ epsilon, sigma }: LennardJonesParams): PairTerm {
  const sigma2 = sigma * sigma;
  return (r2, out) => {
    const s6 = (sigma2 / r2) ** 3;
    out[0] = 4 * epsilon * (s6 * s6 - s6);
    out[1] = (24 * epsilon * (2 * s6 * s6 - s6)) / r2;
  };
}

export function lennardJones(params: LennardJonesParams = REDUCED_UNITS): EnergyForcesFn {
  return pairPotential(lennardJonesPair(params));
}

export const LENNARD_JONES: PotentialEntry<"lj", LennardJonesParams> = {
  kind: "lj",
  label: "LJ",
  units: REDUCED,
  reference: lennardJones,
  cutoff: () => Infinity,
  energyScale: 1,
  // Wales & Doye's 0.8 epsilon (J. Phys. Chem. A 101, 5111 (1997)), a little above the bulk LJ
  // triple point (0.69 epsilon).
  hopTemperature: (p) => 0.8 * p.epsilon,
  // LJ13 melts near 0.3 epsilon, but an unconfined cluster that hot loses atoms (16 LJ13
  // replicas, 6,000 evaluations: 10 end in the icosahedron from 0.2, 4 from 0.3, 6 of a sweep
  // 0.1 to 0.5).
  meltTemperature: (p) => 0.2 * p.epsilon,
  families: { lj: "Lennard-Jones clusters" },
  familyOf: () => "lj",
  naming: {
    example: "LJ38",
    symbol: "LJ",
    anySymbol: true,
    fileSymbols: ["LJ", "X"],
    periodic: "never",
    settings: [],
    parse: (counts) => ({
      params: REDUCED_UNITS,
      bondLength: 2 ** (1 / 6),
      known: lennardJonesKnownMinima(counts.LJ),
    }),
  },
  wgsl: pairWgsl(LENNARD_JONES_WGSL, (p) => ({
    params: Float32Array.of(p.epsilon, p.sigma),
    auxWords: 0,
    constants: {},
  })),
};
