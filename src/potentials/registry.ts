/**
 * The potentials learn2hop knows, one entry each (potential.ts says what an entry holds). Adding a
 * potential is its file beside this one, its WGSL in shaders/potentials/ (a pair potential: only
 * its pair term, pair_potential.ts) and one line below; docs/ARCHITECTURE.md has the recipe.
 */
import { GUPTA } from "./gupta.ts";
import { LENNARD_JONES } from "./lennard_jones.ts";
import { MORSE } from "./morse.ts";
import type { PotentialEntry, PotentialLayout, Units } from "./potential.ts";
import { STILLINGER_WEBER } from "./stillinger_weber.ts";
import type { EnergyForcesFn } from "./types.ts";

export const POTENTIALS = [LENNARD_JONES, GUPTA, STILLINGER_WEBER, MORSE] as const;

type Entry = typeof POTENTIALS[number];
type ParamsOf<E> = E extends PotentialEntry<string, infer P> ? P : never;

export type PotentialKind = Entry["kind"];
/** Which potential, with which parameters: what a system carries and saved files record. */
export type PotentialSpec = {
  [E in Entry as E["kind"]]: { kind: E["kind"]; params: ParamsOf<E> };
}[PotentialKind];

export const POTENTIAL_KINDS: PotentialKind[] = POTENTIALS.map((entry) => entry.kind);

export function isPotentialKind(text: string): text is PotentialKind {
  return (POTENTIAL_KINDS as string[]).includes(text);
}

/** The entry of a potential, its parameters' type erased (each entry takes its own spec's). */
export function potentialEntry(kind: PotentialKind): PotentialEntry<PotentialKind, unknown> {
  return POTENTIALS.find((entry) => entry.kind === kind) as PotentialEntry<PotentialKind, unknown>;
}

/** The f64 CPU reference energy and forces of a potential. */
export function referencePotential(spec: PotentialSpec): EnergyForcesFn {
  return potentialEntry(spec.kind).reference(spec.params);
}

/** Interaction range (Infinity when every pair interacts). */
export function potentialCutoff(spec: PotentialSpec): number {
  return potentialEntry(spec.kind).cutoff(spec.params);
}

export function potentialUnits(spec: PotentialSpec): Units {
  return potentialEntry(spec.kind).units;
}

/** Basin hopping's default kT, in the potential's energy unit. */
export function hopTemperature(spec: PotentialSpec): number {
  return potentialEntry(spec.kind).hopTemperature(spec.params);
}

/** The melt-quench anneal's default melt kT, in the potential's energy unit. */
export function meltTemperature(spec: PotentialSpec): number {
  return potentialEntry(spec.kind).meltTemperature(spec.params);
}

/** The potential's parameters and scratch for its WGSL (N_SPECIES among its constants);
 * `fused`: for the fused optimizer kernels rather than the energy kernel. */
export function potentialLayout(
  spec: PotentialSpec,
  nSpecies: number,
  fused: boolean,
): PotentialLayout {
  const layout = potentialEntry(spec.kind).wgsl.layout(spec.params, nSpecies, fused);
  return { ...layout, constants: { N_SPECIES: nSpecies, ...layout.constants } };
}
