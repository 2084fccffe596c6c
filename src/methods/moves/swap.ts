/**
 * The swap move: the positions of a random pair of unlike atoms exchanged (bimetallic homotops);
 * not made when no unlike partner turns up in PLACEMENT_TRIALS draws (then the uniform move is).
 * Needs two elements or more.
 */
import { PLACEMENT_TRIALS } from "../../core/codes.ts";
import SHADER from "../../../shaders/moves/swap.wgsl" with { type: "text" };
import type { HopMoveEntry, MoveContext } from "./move.ts";

/** Atoms i and j of x (flat [atom][xyz]) trade positions (also the segregate move's exchange). */
export function exchangePositions(x: Float64Array, i: number, j: number): void {
  for (let k = 0; k < 3; k++) [x[3 * i + k], x[3 * j + k]] = [x[3 * j + k], x[3 * i + k]];
}

/** Draws 1 + up to PLACEMENT_TRIALS uniforms (the atom, then partners until an unlike one). */
export function swapMove(c: MoveContext): boolean {
  const pick = () => Math.min(Math.floor(c.rng.uniform24() * c.n), c.n - 1);
  const i = pick();
  for (let trial = 0; trial < PLACEMENT_TRIALS; trial++) {
    const j = pick();
    if (c.species[j] !== c.species[i]) {
      exchangePositions(c.x, i, j);
      return true;
    }
  }
  return false;
}

export const SWAP_MOVE: HopMoveEntry & { name: "swap" } = {
  name: "swap",
  summary: "the positions of a random pair of unlike atoms exchanged",
  shader: SHADER,
  refusal: (system) => system.nSpecies < 2 ? "swap moves need two elements" : null,
  draws: "1 + up to 8 uniforms (an atom, then partners until an unlike one)",
  cost: () => PLACEMENT_TRIALS,
  ranksAtoms: false,
  mirror: (c) => swapMove(c) ? {} : null,
};
