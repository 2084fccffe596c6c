/**
 * Morse pair potential with ASE's smooth cutoff (ase.calculators.morse.MorsePotential, whose
 * defaults these are: epsilon 1, r0 1, rho0 6, rcut1 1.9 r0, rcut2 2.7 r0), reduced units:
 *   E = sum_{i<j} epsilon e (e - 2) fc(r),   e = exp(rho0 (1 - r / r0)),
 *   fc(r) = 1 below rcut1, 0 beyond rcut2, and between them t^3 (6 t^2 - 15 t + 10) with
 *   t = 1 - (r - rcut1) / (rcut2 - rcut1) (JuLIP's quintic, as ASE ports it).
 * rho0 sets the well's width: 6 resembles Lennard-Jones, 3 is long-ranged (sodium-like) and 14
 * short-ranged (C60-like); Doye & Wales, J. Chem. Soc. Faraday Trans. 93, 4233 (1997), studied
 * M_N clusters across them (without a cutoff: give rcut1 and rcut2 beyond the cluster's size).
 * Systems: M38, M38@rho0=3, M13@rcut1=20,rcut2=21, M64@L=8 (a periodic box needs L >= 2 rcut2).
 * WGSL: shaders/potentials/morse.wgsl.
 */
import { UserError } from "../core/errors.ts";
import MORSE_WGSL from "../../shaders/potentials/morse.wgsl" with { type: "text" };
import { pairPotential, type PairTerm, pairWgsl } from "./pair_potential.ts";
import { type PotentialEntry, REDUCED } from "./potential.ts";
import type { EnergyForcesFn } from "./types.ts";

export interface MorseParams {
  epsilon: number;
  r0: number;
  rho0: number;
  /** Where the switch starts and ends, in units of r0 (as ASE takes them). */
  rcut1: number;
  rcut2: number;
}

export const ASE_MORSE: MorseParams = { epsilon: 1, r0: 1, rho0: 6, rcut1: 1.9, rcut2: 2.7 };

export function morsePair({ epsilon, r0, rho0, rcut1, rcut2 }: MorseParams): PairTerm {
  const inner = rcut1 * r0;
  const inverseWidth = 1 / ((rcut2 - rcut1) * r0);
  return (r2, out) => {
    const r = Math.sqrt(r2);
    const e = Math.exp(rho0 * (1 - r / r0));
    const phi = epsilon * e * (e - 2);
    const dphi = (-2 * epsilon * rho0 / r0) * e * (e - 1);
    const t = Math.min(1, Math.max(0, 1 - (r - inner) * inverseWidth));
    const fc = t * t * t * (t * (6 * t - 15) + 10);
    const dfc = -30 * t * t * (t - 1) * (t - 1) * inverseWidth;
    out[0] = phi * fc;
    out[1] = -(dphi * fc + phi * dfc) / r;
  };
}

export function morse(params: MorseParams = ASE_MORSE): EnergyForcesFn {
  return pairPotential(morsePair(params));
}

export const MORSE: PotentialEntry<"morse", MorseParams> = {
  kind: "morse",
  label: "Morse",
  units: REDUCED,
  reference: morse,
  cutoff: (p) => p.rcut2 * p.r0,
  energyScale: 1,
  // Lennard-Jones' values in units of the well depth (at rho0 = 6 the two wells are alike).
  hopTemperature: (p) => 0.8 * p.epsilon,
  meltTemperature: (p) => 0.2 * p.epsilon,
  families: { morse: "Morse clusters" },
  familyOf: () => "morse",
  naming: {
    example: "M38",
    symbol: "M",
    anySymbol: true,
    periodic: "optional",
    settings: ["epsilon", "r0", "rho0", "rcut1", "rcut2"],
    parse(_counts, settings) {
      const params = { ...ASE_MORSE };
      for (const key of ["epsilon", "r0", "rho0", "rcut1", "rcut2"] as const) {
        params[key] = settings.number(key) ?? params[key];
      }
      if (!(params.rcut2 > params.rcut1)) {
        throw new UserError(`rcut2 (${params.rcut2}) must exceed rcut1 (${params.rcut1})`);
      }
      return { params, box: settings.number("L"), bondLength: params.r0, known: [] };
    },
  },
  wgsl: pairWgsl(MORSE_WGSL, (p) => ({
    params: Float32Array.of(p.epsilon, p.rho0, p.r0, p.rcut1 * p.r0, p.rcut2 * p.r0),
    auxWords: 0,
    constants: {},
  })),
};
