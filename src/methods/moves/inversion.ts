/**
 * The inversion move, after GMIN's symmetrisation by a continuous symmetry measure
 * (SYMMETRISECSM with the inversion group Ci as its guide: Oakley, Johnston & Wales, Phys. Chem.
 * Chem. Phys. 15, 3965 (2013)), the input that finds LJ38's global minimum in a median 2,837
 * calls against 40,672 with symmetrise moves: the Markov minimum is replaced by its average with
 * its image under inversion through the centre, the closest centrosymmetric structure under a
 * matching of atoms to images. Low-energy clusters are often centrosymmetric (LJ38's truncated
 * octahedron, the Mackay icosahedra) while the traps around them are not. GMIN matches by the
 * optimal permutation (MINPERMDIST); this matches greedily, in N^2: each atom in index order claims
 * the nearest unclaimed image of an atom of its own element (distances within SURFACE_TIE,
 * relative, of the nearest so far tie, to the lower index, so f32 and f64 match alike), so no two
 * atoms share an image, and moves halfway to it. Always made. Clusters only: a periodic box has no centre.
 */
import SHADER from "../../../shaders/moves/inversion.wgsl" with { type: "text" };
import { centreOf } from "./geometry.ts";
import type { HopMoveEntry, MoveContext } from "./move.ts";
import { SURFACE_TIE } from "./surface.ts";

/** Replaces x by its average with its greedily matched inverted image (see above). */
export function inversionMove(c: MoveContext): void {
  const { n, x, species } = c;
  const centre = centreOf(x, n);
  const claimed = new Array<boolean>(n).fill(false);
  const partner = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    let best = -1;
    let nearest = 0;
    for (let j = 0; j < n; j++) {
      if (claimed[j] || species[j] !== species[i]) continue;
      let d2 = 0;
      for (let k = 0; k < 3; k++) d2 += (2 * centre[k] - x[3 * j + k] - x[3 * i + k]) ** 2;
      if (best < 0 || d2 < nearest - SURFACE_TIE * nearest) [best, nearest] = [j, d2];
    }
    claimed[best] = true;
    partner[i] = best;
  }
  const moved = Float64Array.from(
    { length: 3 * n },
    (_, m) => centre[m % 3] + 0.5 * (x[m] - x[3 * partner[Math.floor(m / 3)] + (m % 3)]),
  );
  x.set(moved);
}

export const INVERSION_MOVE: HopMoveEntry & { name: "inversion" } = {
  name: "inversion",
  summary: "the cluster averaged with its inverted image through the centre (GMIN's CSM " +
    "symmetrisation, group Ci)",
  shader: SHADER,
  refusal: (system) =>
    system.periodic ? "inversion moves need a cluster's centre; a periodic box has none" : null,
  draws: "none",
  cost: (n) => n * (n + 1) + 3 * n,
  ranksAtoms: false,
  mirror(c) {
    inversionMove(c);
    return {};
  },
};
