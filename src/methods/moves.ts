/**
 * Hop proposals of the hopping wrapper, f64 mirrors of shaders/moves.wgsl with the same random
 * numbers. Each changes x, which holds the Markov chain's minimum, in place.
 * - uniform: every coordinate displaced uniformly in [-dr, dr] (Wales & Doye 1997);
 * - surface: the atom with the highest energy share (ties within SURFACE_TIE relative go to the
 *   lowest index) is put at a uniformly random direction `surfaceOffset` beyond the farthest other
 *   atom from the centre, nothing else moves: the surface move of Doye & Wales' studies, and
 *   the one that matters (choosing the atom at random instead loses most of the gain, see
 *   docs/BENCHMARKS.md). Clusters only: a periodic box has no outer shell, so it is refused.
 * - swap: the positions of a random pair of unlike atoms exchanged (bimetallic homotops); false
 *   when no unlike partner is found in PLACEMENT_TRIALS draws (then the uniform move is made);
 * - restart: a fresh random structure (the random-restart baseline).
 */
import { PLACEMENT_TRIALS } from "../core/codes.ts";
import type { Rng } from "../core/rng.ts";

/** Surface moves: atoms within this relative energy of the highest count as tied. */
export const SURFACE_TIE = 1e-4;

export interface MoveContext {
  n: number;
  x: Float64Array;
  rng: Rng;
  species: ArrayLike<number>;
  box?: number;
}

function randomInCube(rng: Rng, halfSide: number): number[] {
  return [0, 0, 0].map(() => halfSide * (2 * rng.uniform24() - 1));
}

export function uniformMove(c: MoveContext, dr: number): void {
  for (let i = 0; i < c.n; i++) {
    const d = randomInCube(c.rng, dr);
    for (let k = 0; k < 3; k++) c.x[3 * i + k] += d[k];
  }
}

/** The atom a surface move takes: the first of those within `tie` (relative) of the highest
 * of the n values. */
export function surfaceAtom(atomEnergies: ArrayLike<number>, n: number, tie: number): number {
  let top = atomEnergies[0];
  for (let i = 1; i < n; i++) top = Math.max(top, atomEnergies[i]);
  const threshold = top - tie * Math.abs(top);
  for (let i = 0; i < n; i++) if (atomEnergies[i] >= threshold) return i;
  return 0;
}

/**
 * Where `atom` stands in the order a surface move on these energy shares would take atoms: 0 for
 * its own choice (`surfaceAtom`), then the others by energy share, highest first (equal shares by
 * index). How far a learned ranking strays from basin hopping's.
 */
export function surfaceRank(
  atomEnergies: ArrayLike<number>,
  n: number,
  tie: number,
  atom: number,
): number {
  const first = surfaceAtom(atomEnergies, n, tie);
  if (atom === first) return 0;
  const e = atomEnergies[atom];
  let rank = 1;
  for (let i = 0; i < n; i++) {
    if (i === first || i === atom) continue;
    if (atomEnergies[i] > e || (atomEnergies[i] === e && i < atom)) rank++;
  }
  return rank;
}

/** Moves the atom `surfaceAtom` chooses by `atomEnergies` to the outer shell; returns it. */
export function surfaceMove(
  c: MoveContext,
  atomEnergies: ArrayLike<number>,
  offset: number,
  tie: number,
): number {
  const { n, x } = c;
  const chosen = surfaceAtom(atomEnergies, n, tie);
  const centre = [0, 0, 0];
  for (let i = 0; i < n; i++) for (let k = 0; k < 3; k++) centre[k] += x[3 * i + k] / n;
  let radius = 0;
  for (let i = 0; i < n; i++) {
    if (i === chosen) continue;
    radius = Math.max(
      radius,
      Math.hypot(x[3 * i] - centre[0], x[3 * i + 1] - centre[1], x[3 * i + 2] - centre[2]),
    );
  }
  const z = 2 * c.rng.uniform24() - 1;
  const phi = 2 * Math.PI * c.rng.uniform24();
  const ring = Math.sqrt(Math.max(0, 1 - z * z));
  const direction = [ring * Math.cos(phi), ring * Math.sin(phi), z];
  for (let k = 0; k < 3; k++) x[3 * chosen + k] = centre[k] + (radius + offset) * direction[k];
  return chosen;
}

export function swapMove(c: MoveContext): boolean {
  const pick = () => Math.min(Math.floor(c.rng.uniform24() * c.n), c.n - 1);
  const i = pick();
  for (let trial = 0; trial < PLACEMENT_TRIALS; trial++) {
    const j = pick();
    if (c.species[j] !== c.species[i]) {
      for (let k = 0; k < 3; k++) {
        [c.x[3 * i + k], c.x[3 * j + k]] = [c.x[3 * j + k], c.x[3 * i + k]];
      }
      return true;
    }
  }
  return false;
}

export function restartMove(c: MoveContext, startRadius: number, minDistance: number): void {
  const { box, rng, x } = c;
  const min2 = minDistance ** 2;
  for (let i = 0; i < c.n; i++) {
    for (let trial = 0; trial < PLACEMENT_TRIALS; trial++) {
      let p: number[];
      if (box !== undefined) {
        p = [0, 0, 0].map(() => box * rng.uniform24());
      } else {
        p = randomInCube(rng, startRadius);
        const length = Math.hypot(p[0], p[1], p[2]);
        if (length > startRadius) {
          const scale = startRadius * rng.uniform24() / length;
          p = p.map((value) => value * scale);
        }
      }
      x.set(p, 3 * i);
      let clear = true;
      for (let j = 0; j < i; j++) {
        let r2 = 0;
        for (let k = 0; k < 3; k++) {
          let d = x[3 * j + k] - p[k];
          if (box !== undefined) d -= box * Math.round(d / box);
          r2 += d * d;
        }
        clear = clear && r2 >= min2;
      }
      if (clear) break;
    }
  }
}
