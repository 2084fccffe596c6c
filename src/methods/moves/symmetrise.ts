/**
 * The symmetrise move, after GMIN's symmetrisation (Oakley, Johnston & Wales, Phys. Chem. Chem.
 * Phys. 15, 3965 (2013)), which finds LJ38's global minimum an order of magnitude sooner than
 * basin hopping alone: low-energy clusters are symmetric, so a hop completes a symmetry. A symmetry
 * element through the centre of mass is drawn (inversion, a mirror plane, or a C2 to C6 axis; the
 * plane's normal or the axis pointing at a random atom, since in a near-symmetric cluster atoms
 * sit on its axes); the most stable atom (lowest rank: energy share, or the hop controller's;
 * ties within SURFACE_TIE to the lowest index) whose image under the element lies farther than SYMMETRY_TOLERANCE bond lengths from every atom
 * has that empty image filled by the least stable atom (the surface move's choice). Not made when
 * every image is occupied (the element is already a symmetry) or the mover is that atom itself.
 * Clusters only. GMIN finds the element by a continuous symmetry measure of the core; this draws
 * it and lets the hops' Metropolis test judge.
 */
import SHADER from "../../../shaders/moves/symmetrise.wgsl" with { type: "text" };
import { centreOf, rotateAbout } from "./geometry.ts";
import type { HopMoveEntry, MoveContext } from "./move.ts";
import { SURFACE_TIE, surfaceAtom } from "./surface.ts";

/** An image farther than this (bond lengths) from every atom is empty. */
export const SYMMETRY_TOLERANCE = 0.5;
/** Elements: inversion, mirror, then C2..C6 (element = order). */
const ELEMENTS = 7;

/** Where `element` maps p (flat xyz at index 3i of x). */
function image(
  x: ArrayLike<number>,
  i: number,
  centre: number[],
  element: number,
  axis: number[],
): number[] {
  const v = [0, 1, 2].map((k) => x[3 * i + k] - centre[k]);
  if (element === 0) return v.map((value, k) => centre[k] - value);
  if (element === 1) {
    const along = v[0] * axis[0] + v[1] * axis[1] + v[2] * axis[2];
    return v.map((value, k) => centre[k] + value - 2 * along * axis[k]);
  }
  const angle = 2 * Math.PI / element;
  return rotateAbout(v, axis, Math.cos(angle), Math.sin(angle), centre);
}

/** Draws 2 uniforms (the element, the atom its axis points at). Returns the atom moved, or -1
 * where the move is not made. */
export function symmetriseMove(
  c: MoveContext,
  ranks: ArrayLike<number>,
  tolerance: number,
): number {
  const { n, x, rng } = c;
  const element = Math.min(Math.floor(rng.uniform24() * ELEMENTS), ELEMENTS - 1);
  const toward = Math.min(Math.floor(rng.uniform24() * n), n - 1);
  const centre = centreOf(x, n);
  let axis = [0, 1, 2].map((k) => x[3 * toward + k] - centre[k]);
  const length = Math.hypot(axis[0], axis[1], axis[2]);
  axis = length ** 2 < 1e-12 ? [0, 0, 1] : axis.map((value) => value / length);
  const emptyImage = Array.from({ length: n }, (_, k) => {
    const p = image(x, k, centre, element, axis);
    for (let j = 0; j < n; j++) {
      const d2 = (x[3 * j] - p[0]) ** 2 + (x[3 * j + 1] - p[1]) ** 2 + (x[3 * j + 2] - p[2]) ** 2;
      if (d2 < tolerance ** 2) return false;
    }
    return true;
  });
  // The most stable atom with an empty image; ties within SURFACE_TIE to the lowest index, as the
  // kernel (symmetric atoms share their energies).
  const candidates = Array.from({ length: n }, (_, k) => k).filter((k) => emptyImage[k]);
  if (candidates.length === 0) return -1;
  const lowest = Math.min(...candidates.map((k) => ranks[k]));
  const partner = candidates.find((k) => ranks[k] <= lowest + SURFACE_TIE * Math.abs(lowest))!;
  const mover = surfaceAtom(ranks, n, SURFACE_TIE);
  if (mover === partner) return -1;
  x.set(image(x, partner, centre, element, axis), 3 * mover);
  return mover;
}

export const SYMMETRISE_MOVE: HopMoveEntry & { name: "symmetrise" } = {
  name: "symmetrise",
  summary: "the least stable atom to the empty image of a stable one under a random symmetry",
  shader: SHADER,
  constants: (system) => ({ SYMMETRY_TOLERANCE: { f32: SYMMETRY_TOLERANCE * system.bondLength } }),
  refusal: (system) =>
    system.periodic ? "symmetrise moves need a cluster's centre; a periodic box has none" : null,
  draws: "2 uniforms (the element, the atom its axis points at)",
  // Measured on llvmpipe: a declared cost below the real one lets a long dispatch stop its loops
  // early, which here would take occupied images for empty ones.
  cost: (n) => n * (n + 5),
  ranksAtoms: true,
  mirror(c) {
    return symmetriseMove(c, c.ranks(), SYMMETRY_TOLERANCE * c.placement.bondLength) < 0
      ? null
      : {};
  },
};
