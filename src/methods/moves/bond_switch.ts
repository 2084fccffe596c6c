/**
 * The bond switch of Wooten, Winer & Weaire (PRL 54, 1392 (1985)), the move that builds
 * continuous random networks of amorphous silicon: of bonded atoms A-B-C-D, the bonds A-B and C-D
 * are broken and A-C and B-D formed, keeping every atom four-fold where it was. Made here as the
 * bond B-C turned by 90 degrees about its midpoint in the plane it shares with D - A: B goes a
 * half bond towards D's side, C towards A's. B is a random atom, C a random neighbour of it, A a
 * random other neighbour, and D the neighbour of C (not B) farthest across the bond from A (the
 * trans partner, so the turn has a direction). "Neighbour": closer than BOND_CUTOFF bond lengths,
 * minimum image in a box. Not made (the uniform move is) where B has fewer than two neighbours,
 * C none but B, or D - A lies along the bond. Periodic boxes only: a move for network solids.
 */
import SHADER from "../../../shaders/moves/bond_switch.wgsl" with { type: "text" };
import type { HopMoveEntry, MoveContext } from "./move.ts";

/** Atoms closer than this many bond lengths are bonded: 2.94 A in silicon, whose diamond second
 * shell is at 1.63 bond lengths. */
export const BOND_CUTOFF = 1.25;

/** D - A shorter than this (bond lengths) across the bond gives the turn no direction. */
const DEGENERATE = 1e-3;

/** x_j - x_i, minimum image in a box of side `box`. */
export function separation(c: MoveContext, i: number, j: number): number[] {
  return [0, 1, 2].map((k) => {
    const d = c.x[3 * j + k] - c.x[3 * i + k];
    return c.box === undefined ? d : d - c.box * Math.round(d / c.box);
  });
}

const dot = (a: number[], b: number[]) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];

/** The atoms bonded to i, in index order. */
export function bondedTo(c: MoveContext, i: number, cutoff: number): number[] {
  const bonded: number[] = [];
  for (let j = 0; j < c.n; j++) {
    if (j === i) continue;
    const d = separation(c, i, j);
    if (dot(d, d) < cutoff * cutoff) bonded.push(j);
  }
  return bonded;
}

/** Draws 3 uniforms (B, then C's and A's places among B's neighbours); returns the atoms A, B,
 * C, D switched, or null where the move is not made. */
export function bondSwitchMove(
  c: MoveContext,
  bondLength: number,
): { a: number; b: number; c: number; d: number } | null {
  const b = Math.min(Math.floor(c.rng.uniform24() * c.n), c.n - 1);
  const uc = c.rng.uniform24();
  const ua = c.rng.uniform24();
  const cutoff = BOND_CUTOFF * bondLength;
  const bonded = bondedTo(c, b, cutoff);
  const count = bonded.length;
  if (count < 2) return null;
  const cAtom = bonded[Math.min(Math.floor(uc * count), count - 1)];
  const others = bonded.filter((j) => j !== cAtom);
  const a = others[Math.min(Math.floor(ua * (count - 1)), count - 2)];
  const u = separation(c, b, cAtom);
  const length = Math.sqrt(dot(u, u));
  const axis = u.map((value) => value / length);
  const pa = separation(c, b, a);
  let best = -1;
  let across = [0, 0, 0];
  let d = -1;
  for (const j of bondedTo(c, cAtom, cutoff)) {
    if (j === b) continue;
    const pd = separation(c, cAtom, j).map((value, k) => u[k] + value);
    const w = pd.map((value, k) => value - pa[k]);
    const along = dot(w, axis);
    const perpendicular = w.map((value, k) => value - along * axis[k]);
    const size2 = dot(perpendicular, perpendicular);
    if (size2 > best) {
      best = size2;
      across = perpendicular;
      d = j;
    }
  }
  if (best < (DEGENERATE * bondLength) ** 2) return null;
  const norm = Math.sqrt(best);
  for (let k = 0; k < 3; k++) {
    const middle = c.x[3 * b + k] + 0.5 * u[k];
    const turned = 0.5 * length * across[k] / norm;
    c.x[3 * b + k] = middle + turned;
    c.x[3 * cAtom + k] = middle - turned;
  }
  return { a, b, c: cAtom, d };
}

export const BOND_SWITCH_MOVE: HopMoveEntry & { name: "bond_switch" } = {
  name: "bond_switch",
  summary: "a Wooten-Winer-Weaire bond switch: bond B-C turned 90 degrees, A-B + C-D -> A-C + B-D",
  shader: SHADER,
  constants: (system) => ({
    BOND_SWITCH_CUTOFF2: { f32: (BOND_CUTOFF * system.bondLength) ** 2 },
    BOND_SWITCH_DEGENERATE2: { f32: (DEGENERATE * system.bondLength) ** 2 },
  }),
  refusal: (system) =>
    system.periodic ? null : "bond switches are for network solids in a periodic box",
  draws: "3 uniforms (an atom, then two places among its neighbours)",
  cost: (n) => 4 * n,
  ranksAtoms: false,
  mirror: (c) => bondSwitchMove(c, c.placement.bondLength) === null ? null : {},
};
