/**
 * What a potential is to the rest of learn2hop: one entry, declared in the potential's own file
 * beside this one (its WGSL in shaders/potentials/) and listed once in registry.ts. Nothing outside
 * an entry asks which potential a system has: searches, kernels, the dispatch planner, system
 * names and the learned optimizers' families all read the entry.
 */
import type { KnownMinimum } from "./known_minima.ts";
import type { EnergyForcesFn } from "./types.ts";

/** The units energies, lengths and forces of a system come in (as written in every JSON output). */
export interface Units {
  energy: string;
  length: string;
  force: string;
}

/** Reduced units (an energy epsilon and a length sigma or r0). */
export const REDUCED: Units = { energy: "epsilon", length: "sigma", force: "epsilon/sigma" };
/** eV and Angstrom, as the metal and silicon parameter sets are published. */
export const ELECTRON_VOLTS: Units = { energy: "eV", length: "Angstrom", force: "eV/Angstrom" };

/** How a potential's parameters and scratch data are laid out for its WGSL code. */
export interface PotentialLayout {
  /** What the WGSL's `param(k)` reads; the order is documented at the top of its shader. */
  params: Float32Array<ArrayBuffer>;
  /** 32-bit words of per-atom scratch written by the atom view's first pass (0: none). */
  auxWords: number;
  /** Constants the potential's WGSL expects besides N_ATOMS and N_SPECIES. */
  constants: Record<string, number>;
}

/**
 * A potential's WGSL: its terms, and two views of them. The atom view (one invocation per atom:
 * the energy kernel and the workgroup layout) defines `atom_prepare(i)` and
 * `atom_energy_force(i)`; the replica view (one invocation per replica: the lane layout) defines
 * `replica_energy_forces()`, filling f[] from x[] and visiting each pair once. Pair potentials
 * take both views from pair_potential.ts; the loop counts below are those views' loops.
 */
export interface PotentialWgsl<P> {
  terms: string;
  atom: string;
  replica: string;
  /** `fused`: for the fused optimizer kernels rather than the energy kernel. */
  layout(params: P, nSpecies: number, fused: boolean): PotentialLayout;
  /** Loop iterations of one replica-view evaluation of n atoms, the loop clearing the per-atom
   * energies (shaders/driver.wgsl) included where the view's potential is ranked by them. */
  replicaIterations(n: number): number;
  /** Loop iterations of the atom view for one atom, both passes. */
  atomIterations(n: number, fused: boolean): number;
}

/** The settings a system name gives after '@', read as the potential asks for them. */
export interface NameSettings {
  /** A positive number within the supported magnitudes, or undefined when not given. */
  number(key: string): number | undefined;
  text(key: string): string | undefined;
}

/** What a system name means to its potential. */
export interface NamedSystem<P> {
  params: P;
  /** Periodic cubic box side; undefined for a cluster. */
  box?: number;
  /** Typical nearest-neighbour distance, the length scale of random starts. */
  bondLength: number;
  known: KnownMinimum[];
}

/** How system names (src/systems/system.ts) spell a potential's systems. */
export interface SystemNaming<P> {
  /** A system of this potential with default settings, for help texts ("LJ38"). */
  example: string;
  /** The one particle symbol of a potential of one kind of particle ("LJ", "Si", "M"), which no
   * other element joins; undefined for a potential of named elements (Gupta's metals). */
  symbol?: string;
  /** Whether a structure file's single element of any name may stand for `symbol` (LJ and Morse
   * particles; not silicon). */
  anySymbol: boolean;
  /** "never": a cluster only; "required": a periodic box only; "optional": either. */
  periodic: "never" | "optional" | "required";
  /** The settings after '@' (besides L where periodic), as `--help` and messages list them. */
  settings: readonly string[];
  /** The elements a potential of named elements knows, with these settings (Gupta: its set's). */
  elements?(settings: NameSettings): string[];
  /** The symbols of a structure file's atoms that this potential takes when no potential is
   * named (LJ: LJ and X, ASE's dummy atom; SW: Si); a potential of named elements takes its
   * elements. */
  fileSymbols?: readonly string[];
  /** A bare word of `--params` that stands for settings (Gupta: a set's name for set=NAME). */
  shorthand?(word: string): string | undefined;
  /** The parameters, box, bond length and known minima of `counts` atoms; throws UserErrors
   * (without the system's name, which the caller prepends). */
  parse(counts: Record<string, number>, settings: NameSettings): NamedSystem<P>;
}

export interface PotentialEntry<K extends string, P> {
  /** Its name in system specs, `--potential` and saved files. */
  kind: K;
  /** For messages: "LJ", "Gupta", "SW", "Morse". */
  label: string;
  units: Units;
  /** The f64 reference energy and forces, which every kernel is tested against. */
  reference(params: P): EnergyForcesFn;
  /** Interaction range (Infinity when every pair interacts). */
  cutoff(params: P): number;
  /** Energy per atom scale s of the f32 energy bound (src/systems/energy_tolerance.ts). */
  energyScale: number;
  /** Basin hopping's default kT (src/methods/basin_hopping.ts). */
  hopTemperature(params: P): number;
  /** The melt-quench anneal's melt kT (src/methods/anneal.ts). */
  meltTemperature(params: P): number;
  /** The learned optimizers' families of this potential's systems (src/learned/coverage.ts):
   * name to description, and which one a system of `nElements` elements belongs to. */
  families: Readonly<Record<string, string>>;
  familyOf(nElements: number): string;
  naming: SystemNaming<P>;
  wgsl: PotentialWgsl<P>;
}
