/**
 * The restart move: a fresh random structure, placed like src/systems/random_structures.ts but with
 * bounded trials (the random-restart baseline). Also what rejects a non-finite point outside
 * hopping (shaders/driver.wgsl).
 */
import { PLACEMENT_TRIALS } from "../../core/codes.ts";
import SHADER from "../../../shaders/moves/restart.wgsl" with { type: "text" };
import type { HopMoveEntry, MoveContext } from "./move.ts";
import { randomInCube } from "./uniform.ts";

/** Per atom, up to PLACEMENT_TRIALS tries of 3 uniforms (clusters: a 4th where the point falls
 * outside the ball) to stay `minDistance` from the atoms already placed. */
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

/** Loop iterations of one restart with n atoms. */
export function restartCost(n: number): number {
  return PLACEMENT_TRIALS * (n * (n - 1) / 2 + n);
}

export const RESTART_MOVE: HopMoveEntry & { name: "restart" } = {
  name: "restart",
  summary: "a fresh random structure (random restarts)",
  shader: SHADER,
  refusal: () => null,
  draws: "per atom, up to 8 tries of 3 (or 4) uniforms",
  cost: restartCost,
  ranksAtoms: false,
  mirror(c) {
    restartMove(c, c.placement.startRadius, c.placement.minDistance);
    return {};
  },
};
