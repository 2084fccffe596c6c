/**
 * Seeded random starting structures.
 *
 * Clusters: atoms uniform in a sphere centred at the origin whose density is half that of an fcc
 * solid with nearest-neighbour distance `bondLength` (fcc: sqrt(2) / bondLength^3 atoms per unit
 * volume), so R = (3 N / (4 pi rho))^(1/3) with rho = 1 / (sqrt(2) bondLength^3).
 * Periodic systems: atoms uniform in the box [0, L)^3.
 * Both reject a trial position closer than MIN_DISTANCE_FACTOR * bondLength to an atom already
 * placed (minimum image in a box), which keeps the energy finite and the start physical.
 *
 * Replica r of seed s always gets the same structure, whatever the batch size, on every machine:
 * each replica draws from its own stream of the seeded generator.
 */
import { UserError } from "../core/errors.ts";
import { Rng } from "../core/rng.ts";
import type { System } from "./system.ts";

export const MIN_DISTANCE_FACTOR = 0.8;
const MAX_TRIALS_PER_ATOM = 10_000;

export function clusterRadius(nAtoms: number, bondLength: number): number {
  const density = 1 / (Math.SQRT2 * bondLength ** 3);
  return Math.cbrt((3 * nAtoms) / (4 * Math.PI * density));
}

/** One random structure (flat positions) for replica `replica` of `seed`. */
export function randomStructure(system: System, seed: number, replica = 0): Float64Array {
  const rng = new Rng(seed, replica);
  const n = system.nAtoms;
  const minDistance2 = (MIN_DISTANCE_FACTOR * system.bondLength) ** 2;
  const box = system.box;
  const radius = clusterRadius(n, system.bondLength);
  const positions = new Float64Array(3 * n);
  const trial = new Float64Array(3);
  for (let i = 0; i < n; i++) {
    let placed = false;
    for (let t = 0; t < MAX_TRIALS_PER_ATOM && !placed; t++) {
      if (box !== undefined) {
        for (let k = 0; k < 3; k++) trial[k] = rng.uniform() * box;
      } else {
        // Uniform in the ball by rejection from the enclosing cube.
        do {
          for (let k = 0; k < 3; k++) trial[k] = (2 * rng.uniform() - 1) * radius;
        } while (trial[0] ** 2 + trial[1] ** 2 + trial[2] ** 2 > radius * radius);
      }
      placed = true;
      for (let j = 0; j < i && placed; j++) {
        let r2 = 0;
        for (let k = 0; k < 3; k++) {
          let d = trial[k] - positions[3 * j + k];
          if (box !== undefined) d -= box * Math.round(d / box);
          r2 += d * d;
        }
        if (r2 < minDistance2) placed = false;
      }
    }
    if (!placed) {
      throw new UserError(
        `${system.name}: cannot place ${n} atoms ${
          MIN_DISTANCE_FACTOR * system.bondLength
        } apart ` +
          "(box too small for the atom count?)",
      );
    }
    positions.set(trial, 3 * i);
  }
  return positions;
}

/** `count` random structures, replicas 0 .. count-1, concatenated: [replica][atom][xyz]. */
export function randomStructures(system: System, seed: number, count: number): Float64Array {
  const all = new Float64Array(count * 3 * system.nAtoms);
  for (let r = 0; r < count; r++) all.set(randomStructure(system, seed, r), r * 3 * system.nAtoms);
  return all;
}
