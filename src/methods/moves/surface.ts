/**
 * The surface move: the atom with the highest rank (by default its energy share at the Markov
 * minimum; ties within SURFACE_TIE relative go to the lowest index) is put at a uniformly random
 * direction `surfaceOffset` beyond the farthest other atom from the centre; nothing else moves.
 * The surface move of Doye & Wales' studies, and the one that matters (choosing the atom at random
 * instead loses most of the gain, see docs/BENCHMARKS.md). Clusters only: a periodic box has no
 * outer shell. A hop controller may rank the atoms (src/methods/hop_control.ts).
 */
import SHADER from "../../../shaders/moves/surface.wgsl" with { type: "text" };
import { centreOf, randomDirection } from "./geometry.ts";
import type { HopMoveEntry, MoveContext } from "./move.ts";

/** Surface moves: atoms within this relative energy of the highest count as tied. */
export const SURFACE_TIE = 1e-4;

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

/** Moves the atom `surfaceAtom` chooses by `ranks` to the outer shell; returns it. */
export function surfaceMove(
  c: MoveContext,
  ranks: ArrayLike<number>,
  offset: number,
  tie: number,
): number {
  const { n, x } = c;
  const chosen = surfaceAtom(ranks, n, tie);
  const centre = centreOf(x, n);
  let radius = 0;
  for (let i = 0; i < n; i++) {
    if (i === chosen) continue;
    radius = Math.max(
      radius,
      Math.hypot(x[3 * i] - centre[0], x[3 * i + 1] - centre[1], x[3 * i + 2] - centre[2]),
    );
  }
  const direction = randomDirection(c.rng);
  for (let k = 0; k < 3; k++) x[3 * chosen + k] = centre[k] + (radius + offset) * direction[k];
  return chosen;
}

export const SURFACE_MOVE: HopMoveEntry & { name: "surface" } = {
  name: "surface",
  summary: "the highest-energy atom to a random point just outside the cluster",
  shader: SHADER,
  refusal: (system) =>
    system.periodic ? "surface moves need a cluster's outer shell; a periodic box has none" : null,
  draws: "2 uniforms (the direction)",
  cost: (n) => 3 * n + n,
  ranksAtoms: true,
  mirror(c) {
    const atom = surfaceMove(c, c.ranks(), c.placement.surfaceOffset, SURFACE_TIE);
    return { surface: { atom, rank: surfaceRank(c.markovAtomEnergies, c.n, SURFACE_TIE, atom) } };
  },
};
