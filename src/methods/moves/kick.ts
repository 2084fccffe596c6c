/**
 * The kick: the atom of highest rank (by default its energy share at the Markov minimum, the
 * surface move's choice; a hop controller may rank the atoms) and every atom bonded to it (closer
 * than BOND_CUTOFF bond lengths, minimum image) displaced uniformly in [-dr, dr] per coordinate;
 * the rest stay. A local rearrangement where the structure is worst, for network solids whose
 * defects are few atoms wide (the uniform move shakes the whole box). Any system.
 */
import SHADER from "../../../shaders/moves/kick.wgsl" with { type: "text" };
import { BOND_CUTOFF, separation } from "./bond_switch.ts";
import type { HopMoveEntry, MoveContext } from "./move.ts";
import { SURFACE_TIE, surfaceAtom } from "./surface.ts";
import { randomInCube } from "./uniform.ts";

/** Draws 3 uniforms per atom, in atom order (those of atoms out of reach are unused); returns
 * the atoms moved. */
export function kickMove(
  c: MoveContext,
  ranks: ArrayLike<number>,
  dr: number,
  bondLength: number,
): number[] {
  const centre = surfaceAtom(ranks, c.n, SURFACE_TIE);
  const reach2 = (BOND_CUTOFF * bondLength) ** 2;
  // Who moves is decided on the Markov minimum, before anyone has.
  const near = Array.from({ length: c.n }, (_, i) => {
    const s = separation(c, centre, i);
    return s[0] * s[0] + s[1] * s[1] + s[2] * s[2] < reach2;
  });
  const moved: number[] = [];
  for (let i = 0; i < c.n; i++) {
    const d = randomInCube(c.rng, dr);
    if (near[i]) {
      for (let k = 0; k < 3; k++) c.x[3 * i + k] += d[k];
      moved.push(i);
    }
  }
  return moved;
}

export const KICK_MOVE: HopMoveEntry & { name: "kick" } = {
  name: "kick",
  summary: "the highest-energy atom and the atoms bonded to it displaced up to dr",
  shader: SHADER,
  constants: (system) => ({ KICK_REACH2: { f32: (BOND_CUTOFF * system.bondLength) ** 2 } }),
  refusal: () => null,
  draws: "3 uniforms per atom (the displacements)",
  cost: (n) => 3 * n,
  ranksAtoms: true,
  mirror(c) {
    kickMove(c, c.ranks(), c.dr, c.placement.bondLength);
    return {};
  },
};
