/**
 * The batch as a population: replicas share, between dispatches, a pool of the lowest distinct
 * minima found by any of them (the search's archive, deduplicated by structural fingerprint,
 * archive.ts), and a chain gone stale is reseeded from it instead of from a random structure.
 * With HoppingSettings.pool the kernel only counts each chain's hops without a new lowest minimum
 * (RESEED_BY_HOST); at every sync, each running replica at `reseedHops` or more is given:
 * - with probability `crossover` (clusters, and a pool of two or more): a cut-and-splice child of
 *   two distinct pool members (Deaven & Ho, Phys. Rev. Lett. 75, 288 (1995)): each parent centred
 *   and turned by its own uniformly random rotation, the child takes the first parent's atoms
 *   above the plane z = 0 and the second parent's below it, element by element so that the
 *   composition (and the system's atom order) is kept: for each element with m of the first
 *   parent's atoms above the plane, its m atoms highest in z and the second parent's lowest
 *   others;
 * - otherwise: one pool member with every coordinate displaced uniformly within +-dr (the
 *   replica's adapted hop size: a uniform move from another chain's minimum).
 * Parents and members are drawn uniformly from the pool. The child relaxes as a new chain that
 * accepts its next minimum (OptimizerBatch.place). Nothing here costs an energy evaluation; the
 * placed start's evaluation and the relaxations are the replica's, counted by the kernel. The
 * random numbers come from the search's seed and the sync's index, and the pool from the
 * archive, which a saved state keeps: a search is deterministic and resumable.
 */
import { Rng } from "../core/rng.ts";
import type { PoolSettings } from "../methods/method_spec.ts";
import { centreOf } from "../methods/moves/geometry.ts";
import type { ArchiveEntry } from "./archive.ts";

/** Cut-and-splice's share of pool reseeds by default (clusters): half new combinations, half
 * perturbed pool members. */
export const DEFAULT_CROSSOVER = 0.5;

/** The population's random stream for a search's seed and a sync's index. */
export function populationRng(seed: number, sync: number): Rng {
  return new Rng(new Rng(seed, -3).nextUint32(), sync);
}

/** A uniformly random rotation matrix (row-major 3x3) from a uniform unit quaternion
 * (Shoemake's method: 3 uniforms). */
export function randomRotation(rng: Rng): number[] {
  const [u1, u2, u3] = [rng.uniform(), rng.uniform(), rng.uniform()];
  const a = Math.sqrt(1 - u1);
  const b = Math.sqrt(u1);
  const [w, x, y, z] = [
    a * Math.sin(2 * Math.PI * u2),
    a * Math.cos(2 * Math.PI * u2),
    b * Math.sin(2 * Math.PI * u3),
    b * Math.cos(2 * Math.PI * u3),
  ];
  return [
    1 - 2 * (y * y + z * z),
    2 * (x * y - w * z),
    2 * (x * z + w * y),
    2 * (x * y + w * z),
    1 - 2 * (x * x + z * z),
    2 * (y * z - w * x),
    2 * (x * z - w * y),
    2 * (y * z + w * x),
    1 - 2 * (x * x + y * y),
  ];
}

/** x (flat [atom][xyz]) centred at the origin and turned by `rotation`. */
function centredRotated(x: ArrayLike<number>, rotation: number[]): Float64Array {
  const n = x.length / 3;
  const centre = centreOf(x, n);
  const out = new Float64Array(x.length);
  for (let i = 0; i < n; i++) {
    const v = [0, 1, 2].map((k) => x[3 * i + k] - centre[k]);
    for (let row = 0; row < 3; row++) {
      out[3 * i + row] = rotation[3 * row] * v[0] + rotation[3 * row + 1] * v[1] +
        rotation[3 * row + 2] * v[2];
    }
  }
  return out;
}

/** The cut-and-splice child of two clusters of the same composition (see above). */
export function cutAndSplice(
  first: ArrayLike<number>,
  second: ArrayLike<number>,
  species: ArrayLike<number>,
  rng: Rng,
): Float64Array {
  const a = centredRotated(first, randomRotation(rng));
  const b = centredRotated(second, randomRotation(rng));
  const child = new Float64Array(a.length);
  const z = (x: Float64Array, i: number) => x[3 * i + 2];
  for (const element of new Set(Array.from(species))) {
    const atoms = Array.from({ length: species.length }, (_, i) => i)
      .filter((i) => species[i] === element);
    const fromFirst = atoms.filter((i) => z(a, i) > 0).length;
    const high = atoms.slice().sort((i, j) => z(a, j) - z(a, i) || i - j);
    const low = atoms.slice().sort((i, j) => z(b, i) - z(b, j) || i - j);
    atoms.forEach((target, k) => {
      const [source, from] = k < fromFirst ? [high[k], a] : [low[k - fromFirst], b];
      child.set(from.subarray(3 * source, 3 * source + 3), 3 * target);
    });
  }
  return child;
}

/** A pool member with every coordinate displaced uniformly within +-dr. */
export function perturbed(member: ArrayLike<number>, dr: number, rng: Rng): Float64Array {
  return Float64Array.from(member, (value) => value + dr * (2 * rng.uniform() - 1));
}

/** What the host reseeded at one sync. */
export interface PoolRound {
  placements: { replica: number; positions: Float64Array }[];
  crossovers: number;
  perturbed: number;
}

/**
 * The reseeds of one sync: every running replica whose chain has gone `reseedHops` hops without a
 * new lowest minimum, in replica order, from `pool` (lowest first); none while the pool is empty.
 */
export function poolRound(
  settings: PoolSettings,
  reseedHops: number,
  pool: ArchiveEntry[],
  replicas: {
    staleHops: ArrayLike<number>;
    dr: ArrayLike<number>;
    running: (r: number) => boolean;
  },
  species: ArrayLike<number>,
  rng: Rng,
): PoolRound {
  const round: PoolRound = { placements: [], crossovers: 0, perturbed: 0 };
  if (pool.length === 0) return round;
  for (let r = 0; r < replicas.staleHops.length; r++) {
    if (replicas.staleHops[r] < reseedHops || !replicas.running(r)) continue;
    const pick = () => Math.floor(rng.uniform() * pool.length);
    let positions: Float64Array;
    if (pool.length >= 2 && rng.uniform() < settings.crossover) {
      const first = pick();
      // The second parent: uniform over the others.
      const second = (first + 1 + Math.floor(rng.uniform() * (pool.length - 1))) % pool.length;
      positions = cutAndSplice(pool[first].positions, pool[second].positions, species, rng);
      round.crossovers++;
    } else {
      positions = perturbed(pool[pick()].positions, replicas.dr[r], rng);
      round.perturbed++;
    }
    round.placements.push({ replica: r, positions });
  }
  return round;
}
