/**
 * A structural fingerprint for telling minima apart: every interatomic distance, sorted, kept
 * separately per species pair. Distances do not change under translation or rotation, sorting
 * forgets which atom is which (so relabelling like atoms changes nothing), and in a periodic box
 * minimum-image distances do not change when atoms are wrapped or shifted by a box vector. Keeping
 * the species pairs apart makes homotops of an alloy (the same sites, different occupations) differ.
 *
 * Sorted distances are not a complete invariant (homometric sets of points exist), but two
 * different minima of a potential that share every pair distance are not a practical concern.
 *
 * Cost: N(N-1)/2 distances and a sort, and 8 bytes per distance (4.2 MB at 1024 atoms).
 */
import { displacementFor } from "../potentials/space.ts";

/**
 * Default fingerprint tolerance, in the system's length unit (sigma for LJ, Angstrom for Gupta
 * and silicon). Sorting is non-expansive in the max norm, so two copies of a structure whose atoms
 * (after the best match) lie within delta of each other have fingerprints within 2 delta. A
 * relaxation stopped at a largest force fmax = 1e-3 leaves each atom about fmax / k from the
 * minimum along a mode of stiffness k; the softest non-trivial modes are 43 epsilon/sigma^2 in
 * LJ13 and of order 1 in larger clusters, so delta <~ 1e-3 and copies agree to ~2e-3 (f32
 * rounding of positions, ~1e-6, is negligible). Different minima differ in some distance by a
 * sizeable fraction of a bond (0.1 or more), so 1e-2 separates the two cases with margin on both.
 */
export const DEFAULT_FINGERPRINT_TOLERANCE = 1e-2;

/**
 * Sorted pair distances of a structure of N atoms (flat xyz `positions`, integer `species`
 * indices from 0), in blocks per species pair (a, b), a <= b, in the order (0,0), (0,1), ...,
 * (0,S-1), (1,1), ..., (S-1,S-1); each block ascending. Length N(N-1)/2. With `box` (side of a
 * periodic cubic box) distances are minimum-image. Fingerprints are comparable between structures
 * of the same composition only (the block boundaries depend on the species counts).
 */
export function structureFingerprint(
  positions: ArrayLike<number>,
  species: ArrayLike<number>,
  box?: number,
): Float64Array {
  const n = species.length;
  if (positions.length !== 3 * n) {
    throw new RangeError(`${positions.length} coordinates for ${n} atoms`);
  }
  let kinds = 0;
  for (let i = 0; i < n; i++) {
    if (!Number.isInteger(species[i]) || species[i] < 0) {
      throw new RangeError(`species[${i}] = ${species[i]} is not an index`);
    }
    kinds = Math.max(kinds, species[i] + 1);
  }
  const counts = new Array<number>(kinds).fill(0);
  for (let i = 0; i < n; i++) counts[species[i]]++;
  // blockStart[a][b] for a <= b: where pair type (a, b) begins in the fingerprint.
  const blockStart: number[][] = [];
  const next: number[][] = [];
  let offset = 0;
  for (let a = 0; a < kinds; a++) {
    blockStart.push([]);
    for (let b = a; b < kinds; b++) {
      blockStart[a][b] = offset;
      offset += a === b ? counts[a] * (counts[a] - 1) / 2 : counts[a] * counts[b];
    }
    next.push([...blockStart[a]]);
  }
  const fingerprint = new Float64Array(offset);
  const displacement = displacementFor(box);
  const d = new Float64Array(3);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const a = Math.min(species[i], species[j]);
      const b = Math.max(species[i], species[j]);
      fingerprint[next[a][b]++] = Math.sqrt(displacement(positions, i, j, d));
    }
  }
  for (let a = 0; a < kinds; a++) {
    for (let b = a; b < kinds; b++) fingerprint.subarray(blockStart[a][b], next[a][b]).sort();
  }
  return fingerprint;
}

/**
 * Largest absolute difference between two fingerprints (length units), Infinity when their
 * lengths differ. The max norm rather than RMS because one atom in a different place moves only
 * its own N-1 distances out of N(N-1)/2: an RMS would dilute that by sqrt(N/2) and let large
 * clusters with one misplaced atom merge.
 */
export function fingerprintDistance(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) return Infinity;
  let largest = 0;
  for (let k = 0; k < a.length; k++) largest = Math.max(largest, Math.abs(a[k] - b[k]));
  return largest;
}
