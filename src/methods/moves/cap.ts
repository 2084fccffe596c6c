/**
 * The cap rotation: a random direction n through the centre, a cutting plane across it at a
 * uniformly random share of the farthest atom's height, and the atoms at or beyond the plane (the
 * cap; the farthest atom always) turn rigidly by a uniformly random angle about the axis through
 * the centre along n; the rest of the cluster stays. Small caps re-seat a surface patch, large ones
 * twist the cluster's halves against each other: the rotation of a surface cap or ring that GMIN
 * and cluster-specific basin hopping use besides single-atom moves. Clusters only.
 */
import SHADER from "../../../shaders/moves/cap.wgsl" with { type: "text" };
import { centreOf, randomDirection, rotateAbout } from "./geometry.ts";
import type { HopMoveEntry, MoveContext } from "./move.ts";

/** Draws 4 uniforms: the direction (2), the plane's share of the top height, the angle. Returns
 * how many atoms turned. */
export function capMove(c: MoveContext): number {
  const { n, x, rng } = c;
  const axis = randomDirection(rng);
  const share = rng.uniform24();
  const angle = 2 * Math.PI * rng.uniform24();
  const centre = centreOf(x, n);
  const height = (i: number) =>
    (x[3 * i] - centre[0]) * axis[0] + (x[3 * i + 1] - centre[1]) * axis[1] +
    (x[3 * i + 2] - centre[2]) * axis[2];
  let top = -1e30;
  for (let i = 0; i < n; i++) top = Math.max(top, height(i));
  const cut = share * top;
  const [cosine, sine] = [Math.cos(angle), Math.sin(angle)];
  let turned = 0;
  for (let i = 0; i < n; i++) {
    if (!(height(i) >= cut)) continue;
    const v = [0, 1, 2].map((k) => x[3 * i + k] - centre[k]);
    x.set(rotateAbout(v, axis, cosine, sine, centre), 3 * i);
    turned++;
  }
  return turned;
}

export const CAP_MOVE: HopMoveEntry & { name: "cap" } = {
  name: "cap",
  summary: "a random cap of the cluster turned about the axis through its centre",
  shader: SHADER,
  refusal: (system) =>
    system.periodic ? "cap rotations need a cluster's centre; a periodic box has none" : null,
  draws: "4 uniforms (the axis, the plane's height, the angle)",
  cost: (n) => 3 * n,
  ranksAtoms: false,
  mirror(c) {
    capMove(c);
    return {};
  },
};
