/** The potentials learn2hop knows, as data: which one, with which parameters. */
import { gupta, type GuptaParams } from "./gupta.ts";
import { lennardJones, type LennardJonesParams } from "./lennard_jones.ts";
import {
  stillingerWeber,
  stillingerWeberCutoff,
  type StillingerWeberParams,
} from "./stillinger_weber.ts";
import type { EnergyForcesFn } from "./types.ts";

export type PotentialSpec =
  | { kind: "lj"; params: LennardJonesParams }
  | { kind: "gupta"; params: GuptaParams }
  | { kind: "sw"; params: StillingerWeberParams };

export type PotentialKind = PotentialSpec["kind"];
export const POTENTIAL_KINDS: PotentialKind[] = ["lj", "gupta", "sw"];

/** The f64 CPU reference energy and forces of a potential. */
export function referencePotential(spec: PotentialSpec): EnergyForcesFn {
  switch (spec.kind) {
    case "lj":
      return lennardJones(spec.params);
    case "gupta":
      return gupta(spec.params);
    case "sw":
      return stillingerWeber(spec.params);
  }
}

/** Interaction range (Infinity when every pair interacts). */
export function potentialCutoff(spec: PotentialSpec): number {
  switch (spec.kind) {
    case "lj":
      return Infinity;
    case "gupta":
      return spec.params.cutoff;
    case "sw":
      return stillingerWeberCutoff(spec.params);
  }
}

/** The units energies, lengths and forces of a system come in (as written in every JSON output). */
export interface Units {
  energy: string;
  length: string;
  force: string;
}

/** Lennard-Jones in reduced units (epsilon, sigma); Gupta and Stillinger-Weber in eV and
 * Angstrom, as their parameter sets are published. */
export function potentialUnits(spec: PotentialSpec): Units {
  return spec.kind === "lj"
    ? { energy: "epsilon", length: "sigma", force: "epsilon/sigma" }
    : { energy: "eV", length: "Angstrom", force: "eV/Angstrom" };
}
