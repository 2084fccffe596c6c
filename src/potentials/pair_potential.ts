/**
 * Pair potentials, E = sum_{i<j} phi(r_ij): one pair loop, in the f64 mirror and in each thread
 * layout's WGSL (shaders/potentials/pair_atom.wgsl and pair_replica.wgsl), into which each pair
 * potential splices only its pair term (after OpenMM's custom forces and JAX MD's `smap`). A pair
 * potential is its term, once per side: `PairTerm` here and `pair_params()` / `pair_term(p, r2)`
 * in its shader, both returning phi(r) and s = -phi'(r) / r (so that s d is the force on atom j
 * from atom i, d = r_j - r_i, positive when repulsive).
 */
import PAIR_ATOM from "../../shaders/potentials/pair_atom.wgsl" with { type: "text" };
import PAIR_REPLICA from "../../shaders/potentials/pair_replica.wgsl" with { type: "text" };
import type { PotentialWgsl } from "./potential.ts";
import { displacementFor } from "./space.ts";
import type { EnergyForces, EnergyForcesFn, Structure } from "./types.ts";

/** phi(r) and s = -phi'(r) / r at r^2 = r2, written into out[0] and out[1]. */
export type PairTerm = (r2: number, out: Float64Array) => void;

/** The f64 energy, forces and per-atom energies (half of each pair to each atom) of a pair
 * potential, each pair once. */
export function pairPotential(term: PairTerm): EnergyForcesFn {
  return (structure: Structure): EnergyForces => {
    const { positions } = structure;
    const n = positions.length / 3;
    const displacement = displacementFor(structure.box);
    const d = new Float64Array(3);
    const pair = new Float64Array(2);
    const forces = new Float64Array(3 * n);
    const atomEnergies = new Float64Array(n);
    let energy = 0;
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        term(displacement(positions, i, j, d), pair);
        energy += pair[0];
        atomEnergies[i] += 0.5 * pair[0];
        atomEnergies[j] += 0.5 * pair[0];
        for (let k = 0; k < 3; k++) {
          forces[3 * j + k] += pair[1] * d[k];
          forces[3 * i + k] -= pair[1] * d[k];
        }
      }
    }
    return { energy, forces, atomEnergies };
  };
}

/** A pair potential's WGSL: its terms (`terms`, the shader defining pair_params and pair_term)
 * and the shared pair loops, with their loop counts. */
export function pairWgsl<P>(
  terms: string,
  layout: PotentialWgsl<P>["layout"],
): PotentialWgsl<P> {
  return {
    terms,
    atom: PAIR_ATOM,
    replica: PAIR_REPLICA,
    layout,
    // pair_replica.wgsl: the clearing loop, and the i < j loops (N outer, N (N - 1) / 2 inner);
    // then the driver's loop clearing the per-atom energies.
    replicaIterations: (n) => n + n + (n * (n - 1)) / 2 + n,
    // pair_atom.wgsl: every j.
    atomIterations: (n) => n,
  };
}
