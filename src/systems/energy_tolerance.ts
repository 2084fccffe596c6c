/**
 * Within what energy two energies count as the same minimum, or a search as having reached a
 * known one: the f32 rounding bound of the GPU's energies (below), never less than
 * MIN_ENERGY_TOLERANCE. Searches, evaluations and the meta-training loss all use it.
 */
import { potentialEntry } from "../potentials/registry.ts";
import type { System } from "./system.ts";

/** 1e-3 in the system's energy unit: pele's choice for telling minima apart, which also checks
 * structure; the minima archive's default (src/search/archive.ts). */
export const MIN_ENERGY_TOLERANCE = 1e-3;

/**
 * The energy window within which two energies count as the same minimum, in the system's energy
 * unit. The GPU's f32 energies are within 4e-6 (|E| + N s) of f64 (the bound argued and tested in
 * tests/gpu_energy_test.ts, s = 1 for LJ and 4 eV for Gupta and silicon; measured errors are 3 to
 * 10 times smaller), and |E| stays below 9 N for every supported potential (fcc LJ binds 8.6
 * epsilon per atom, Gupta metals and SW silicon about 6 eV or less). That gives 1.5e-3 for LJ38 and
 * 3.3e-3 for Si64, far below the gaps between low minima (LJ38's two lowest differ by 0.68), and
 * never less than MIN_ENERGY_TOLERANCE.
 */
export function energyTolerance(system: System): number {
  const bound = 4e-6 * system.nAtoms * (9 + potentialEntry(system.potential.kind).energyScale);
  return Math.max(MIN_ENERGY_TOLERANCE, bound);
}
