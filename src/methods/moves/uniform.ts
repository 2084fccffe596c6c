/**
 * The uniform move: every coordinate displaced uniformly in [-dr, dr] (Wales & Doye 1997). The
 * base move, made when no registered move is drawn or the one drawn cannot be made; its
 * probability is what the others leave. Its WGSL (shaders/moves/uniform.wgsl) also defines
 * random_in_cube for the other moves.
 */
import type { Rng } from "../../core/rng.ts";
import type { MoveContext } from "./move.ts";

export function randomInCube(rng: Rng, halfSide: number): number[] {
  return [0, 0, 0].map(() => halfSide * (2 * rng.uniform24() - 1));
}

/** Draws 3 uniforms per atom, in atom order. */
export function uniformMove(c: MoveContext, dr: number): void {
  for (let i = 0; i < c.n; i++) {
    const d = randomInCube(c.rng, dr);
    for (let k = 0; k < 3; k++) c.x[3 * i + k] += d[k];
  }
}
