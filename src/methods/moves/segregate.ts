/**
 * The segregate move: a swap aimed by the atoms' energy shares at the Markov minimum. Of
 * SEGREGATE_CANDIDATES random unlike pairs (each drawn as the swap move draws one), the pair whose
 * exchange lowers the energy most to first order is exchanged: atom i's share e_i rescaled by the
 * ratio of the two elements' mean shares, dE ~ e_i (m_j / m_i - 1) + e_j (m_i / m_j - 1). It moves
 * the element that binds more strongly onto the sites where the other bound most (Pt into a Pd-Pt
 * core, Pd out to its surface) and the weaker one out, the segregation that bimetallic minima
 * show, where a random swap mostly tries homotops far above them (the targeted exchanges of
 * nanoalloy searches; e.g. Ferrando, Jellinek & Johnston, Chem. Rev. 108, 845 (2008)). Ties
 * within SURFACE_TIE (relative) keep the earlier pair. Needs two elements or more.
 */
import { PLACEMENT_TRIALS } from "../../core/codes.ts";
import SHADER from "../../../shaders/moves/segregate.wgsl" with { type: "text" };
import type { HopMoveEntry } from "./move.ts";
import { SURFACE_TIE } from "./surface.ts";
import { exchangePositions } from "./swap.ts";

/** Random unlike pairs compared per move: enough that the pick leans hard toward the best
 * exchange, few enough that repeated hops from one minimum try different ones. */
export const SEGREGATE_CANDIDATES = 4;

/** The first-order energy change of exchanging atoms i and j (see above), in f64. */
export function exchangeEstimate(
  shares: ArrayLike<number>,
  species: ArrayLike<number>,
  i: number,
  j: number,
): number {
  const mean = (s: number) => {
    let sum = 0;
    let count = 0;
    for (let k = 0; k < species.length; k++) {
      if (species[k] === s) {
        sum += shares[k];
        count++;
      }
    }
    return sum / Math.max(count, 1);
  };
  const [mi, mj] = [mean(species[i]), mean(species[j])];
  if (mi === 0 || mj === 0) return 0;
  return shares[i] * (mj / mi - 1) + shares[j] * (mi / mj - 1);
}

export const SEGREGATE_MOVE: HopMoveEntry & { name: "segregate" } = {
  name: "segregate",
  summary: `of ${SEGREGATE_CANDIDATES} random unlike pairs, the one whose exchange lowers the ` +
    "energy most by the atoms' energy shares, exchanged",
  shader: SHADER,
  constants: () => ({ SEGREGATE_CANDIDATES }),
  refusal: (system) => system.nSpecies < 2 ? "segregate moves need two elements" : null,
  draws: `${SEGREGATE_CANDIDATES} x (1 + up to 8) uniforms (an atom, then partners until an ` +
    "unlike one, per candidate pair)",
  cost: (n) => SEGREGATE_CANDIDATES * (PLACEMENT_TRIALS + 2 * n),
  ranksAtoms: true,
  mirror(c) {
    const { n, rng, species, x, markovAtomEnergies } = c;
    const pick = () => Math.min(Math.floor(rng.uniform24() * n), n - 1);
    let chosen: [number, number] | undefined;
    let best = 0;
    for (let candidate = 0; candidate < SEGREGATE_CANDIDATES; candidate++) {
      const i = pick();
      for (let trial = 0; trial < PLACEMENT_TRIALS; trial++) {
        const j = pick();
        if (species[j] === species[i]) continue;
        const estimate = exchangeEstimate(markovAtomEnergies, species, i, j);
        if (chosen === undefined || estimate < best - SURFACE_TIE * Math.abs(best)) {
          chosen = [i, j];
          best = estimate;
        }
        break;
      }
    }
    if (chosen === undefined) return null;
    exchangePositions(x, ...chosen);
    return {};
  },
};
