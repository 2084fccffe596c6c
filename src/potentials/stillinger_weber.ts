/**
 * Stillinger-Weber silicon (Stillinger & Weber, Phys. Rev. B 31, 5262 (1985)), eV and Angstrom:
 *   E = sum_{i<j} phi2(r_ij) + sum_i sum_{j<k; j,k != i} phi3(r_ij, r_ik, theta_jik)
 *   phi2(r) = A eps (B (sigma/r)^4 - 1) exp(sigma / (r - a sigma))             for r < a sigma
 *   phi3    = s lambda eps (cos theta + 1/3)^2
 *             * exp(gamma sigma / (r_ij - a sigma)) exp(gamma sigma / (r_ik - a sigma))
 * The exponents p = 4, q = 0 of the original are fixed. `threeBodyStrength` (s) scales lambda; 1 is
 * the original, amorphous-Si studies often use 1.5 to 2.
 * Periodic boxes use the minimum image, so the box side must be at least 2 a sigma (7.54 A).
 */
import SW_WGSL from "../../shaders/potentials/stillinger_weber.wgsl" with { type: "text" };
import SW_ATOM from "../../shaders/potentials/stillinger_weber_atom.wgsl" with { type: "text" };
import SW_REPLICA from "../../shaders/potentials/stillinger_weber_replica.wgsl" with {
  type: "text",
};
import { siliconKnownMinima, SW_DIAMOND_LATTICE_CONSTANT } from "./known_minima.ts";
import { ELECTRON_VOLTS, type PotentialEntry } from "./potential.ts";
import { displacementFor } from "./space.ts";
import type { EnergyForces, EnergyForcesFn, Structure } from "./types.ts";

/** Neighbours kept per atom by the energy kernel; a random Si structure at diamond density has
 * about 11 within the cutoff, and more than 48 means a physically absurd density. */
export const SW_MAX_NEIGHBOURS = 48;
/** Neighbours per atom held by the fused optimizer kernels: twice the ~10 of random silicon at
 * diamond density, and small enough that a Si64 step plus a random restart fits one llvmpipe
 * dispatch. More makes the replica fail, reported. */
export const FUSED_SW_MAX_NEIGHBOURS = 20;

/** Diamond density: 8 atoms per cubic cell of side 5.431 A. */
export function diamondBox(nAtoms: number): number {
  return SW_DIAMOND_LATTICE_CONSTANT * Math.cbrt(nAtoms / 8);
}

export interface StillingerWeberParams {
  epsilon: number;
  sigma: number;
  a: number;
  lambda: number;
  gamma: number;
  cosTheta0: number;
  A: number;
  B: number;
  threeBodyStrength: number;
}

/** LAMMPS' Si.sw (epsilon 2.1683); JAX MD uses epsilon 2.16826. */
export const SILICON: StillingerWeberParams = {
  epsilon: 2.1683,
  sigma: 2.0951,
  a: 1.8,
  lambda: 21.0,
  gamma: 1.2,
  cosTheta0: -1 / 3,
  A: 7.049556277,
  B: 0.6022245584,
  threeBodyStrength: 1.0,
};

export function stillingerWeberCutoff(params: StillingerWeberParams): number {
  return params.a * params.sigma;
}

export function stillingerWeber(params: StillingerWeberParams = SILICON): EnergyForcesFn {
  const { epsilon, sigma, a, gamma, cosTheta0, A, B } = params;
  const lambda = params.lambda * params.threeBodyStrength;
  const cutoff = a * sigma;
  const cutoff2 = cutoff * cutoff;

  return (structure: Structure): EnergyForces => {
    const { positions } = structure;
    const n = positions.length / 3;
    const displacement = displacementFor(structure.box);
    const forces = new Float64Array(3 * n);
    // Neighbour lists within the cutoff, with displacements r_j - r_i and distances.
    const neighbours: { j: number; d: Float64Array; r: number }[][] = [];
    for (let i = 0; i < n; i++) neighbours.push([]);
    let energy = 0;
    // Each atom's share: half of each pair term, and the three-body terms centred on it.
    const atomEnergies = new Float64Array(n);
    const d = new Float64Array(3);
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const r2 = displacement(positions, i, j, d);
        if (r2 >= cutoff2) continue;
        const r = Math.sqrt(r2);
        neighbours[i].push({ j, d: Float64Array.from(d), r });
        neighbours[j].push({ j: i, d: Float64Array.from(d, (x) => -x), r });
        // Two-body term and its radial derivative.
        const x = r / sigma;
        const x4 = x ** -4;
        const e = Math.exp(1 / (x - a));
        const pair = A * epsilon * (B * x4 - 1) * e;
        energy += pair;
        atomEnergies[i] += 0.5 * pair;
        atomEnergies[j] += 0.5 * pair;
        const dEdr = (A * epsilon / sigma) *
          (-4 * B * x4 / x * e - (B * x4 - 1) * e / ((x - a) * (x - a)));
        for (let k = 0; k < 3; k++) {
          forces[3 * j + k] -= dEdr * d[k] / r;
          forces[3 * i + k] += dEdr * d[k] / r;
        }
      }
    }
    // Three-body terms centred on i, one per unordered pair of neighbours (j, k).
    for (let i = 0; i < n; i++) {
      const list = neighbours[i];
      for (let m = 0; m < list.length; m++) {
        const { j, d: dij, r: rij } = list[m];
        const gj = Math.exp(gamma * sigma / (rij - cutoff));
        const dgj = -gj * gamma * sigma / ((rij - cutoff) * (rij - cutoff));
        for (let l = m + 1; l < list.length; l++) {
          const { j: k, d: dik, r: rik } = list[l];
          const gk = Math.exp(gamma * sigma / (rik - cutoff));
          const dgk = -gk * gamma * sigma / ((rik - cutoff) * (rik - cutoff));
          const cos = (dij[0] * dik[0] + dij[1] * dik[1] + dij[2] * dik[2]) / (rij * rik);
          const delta = cos - cosTheta0;
          const term = lambda * epsilon * delta * delta * gj * gk;
          energy += term;
          atomEnergies[i] += term;
          const dEdcos = 2 * lambda * epsilon * delta * gj * gk;
          const dEdrij = lambda * epsilon * delta * delta * dgj * gk;
          const dEdrik = lambda * epsilon * delta * delta * gj * dgk;
          for (let c = 0; c < 3; c++) {
            // Gradients with respect to r_j and r_k; r_i takes minus their sum.
            const gradJ = dEdcos * (dik[c] / (rij * rik) - cos * dij[c] / (rij * rij)) +
              dEdrij * dij[c] / rij;
            const gradK = dEdcos * (dij[c] / (rij * rik) - cos * dik[c] / (rik * rik)) +
              dEdrik * dik[c] / rik;
            forces[3 * j + c] -= gradJ;
            forces[3 * k + c] -= gradK;
            forces[3 * i + c] += gradJ + gradK;
          }
        }
      }
    }
    return { energy, forces, atomEnergies };
  };
}

export const STILLINGER_WEBER: PotentialEntry<"sw", StillingerWeberParams> = {
  kind: "sw",
  label: "SW",
  units: ELECTRON_VOLTS,
  reference: stillingerWeber,
  cutoff: stillingerWeberCutoff,
  energyScale: 4,
  // LJ's rule (a little above melting): 0.15 eV (1,740 K; SW silicon melts near 1,690 K).
  hopTemperature: () => 0.15,
  // 3,000 K (kT = 0.2585 eV); the SW model melts near 1,690 K (Broughton & Li, PRB 35, 9120
  // (1987)).
  meltTemperature: () => 0.2585,
  families: { sw: "Stillinger-Weber silicon" },
  familyOf: () => "sw",
  naming: {
    example: "Si64",
    symbol: "Si",
    anySymbol: false,
    fileSymbols: ["Si"],
    periodic: "required",
    settings: ["threebody"],
    parse(counts, settings) {
      const box = settings.number("L") ?? diamondBox(counts.Si);
      const threeBodyStrength = settings.number("threebody") ?? 1;
      return {
        params: { ...SILICON, threeBodyStrength },
        box,
        bondLength: SW_DIAMOND_LATTICE_CONSTANT * Math.sqrt(3) / 4,
        known: siliconKnownMinima(counts.Si, box, threeBodyStrength),
      };
    },
  },
  wgsl: {
    terms: SW_WGSL,
    atom: SW_ATOM,
    replica: SW_REPLICA,
    layout(p, _nSpecies, fused) {
      const neighbours = fused ? FUSED_SW_MAX_NEIGHBOURS : SW_MAX_NEIGHBOURS;
      return {
        params: Float32Array.of(
          p.epsilon,
          p.sigma,
          p.a,
          p.lambda * p.threeBodyStrength,
          p.gamma,
          p.cosTheta0,
          p.A,
          p.B,
        ),
        // Per atom: its neighbour count and list (pass 1 of the atom view).
        auxWords: 1 + neighbours,
        constants: { SW_MAX_NEIGHBOURS: neighbours },
      };
    },
    // stillinger_weber_replica.wgsl (M = FUSED_SW_MAX_NEIGHBOURS): the clearing loop, the i < j
    // pair loops, each atom's neighbour-pair loops; then the driver's loop clearing the per-atom
    // energies.
    replicaIterations(n) {
      const m = FUSED_SW_MAX_NEIGHBOURS;
      return (n * (n - 1)) / 2 + 3 * n + (n * m * (m + 1)) / 2 + n;
    },
    // stillinger_weber_atom.wgsl: every j, then its neighbours' pairs and its neighbours'
    // neighbours.
    atomIterations(n, fused) {
      const m = fused ? FUSED_SW_MAX_NEIGHBOURS : SW_MAX_NEIGHBOURS;
      return n + (m * (m - 1)) / 2 + m * m;
    },
  },
};
