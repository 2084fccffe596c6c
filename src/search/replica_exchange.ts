/**
 * Replica exchange between basin-hopping chains (parallel tempering basin hopping: Strodel, Lee,
 * Whittleston & Wales, J. Phys. Chem. A 114, 7017 (2010)): the batch's replicas form ladders of
 * `rungs` consecutive replicas whose Metropolis temperatures are spaced geometrically from the
 * temperature sweep's `from` to its `to`; at every sync, neighbouring rungs of each ladder (even
 * pairs at even syncs, odd pairs at odd ones) exchange their temperatures, with their adapted hop
 * sizes, with probability min(1, exp((1/T_a - 1/T_b) (E_a - E_b))), E the energies of the
 * Markov chains' minima: low minima drift to the cold rungs, which refine them, and the hot rungs
 * keep exploring. Exchanging the temperatures rather than the structures is the same chain
 * dynamics and moves no positions. It costs no energy evaluations; its random numbers come from
 * the search's seed and the sync's index, so a search (and a resumed one) is deterministic.
 */
import { NO_ENERGY } from "../core/codes.ts";
import { Rng } from "../core/rng.ts";
import type { Sweep } from "./defaults.ts";

/** Replica r's temperature on its ladder: rung r mod `rungs`, geometric from `from` to `to`. */
export function ladderTemperature(sweep: Sweep, replica: number, rungs: number): number {
  if (typeof sweep === "number") return sweep;
  const rung = replica % rungs;
  return sweep.from * (sweep.to / sweep.from) ** (rung / (rungs - 1));
}

/** The exchange random stream of a search's seed and a sync's index. */
export function exchangeRng(seed: number, sync: number): Rng {
  return new Rng(new Rng(seed, -2).nextUint32(), sync);
}

export interface ExchangeRound {
  /** Pairs tested, and the accepted ones as [colder replica, hotter replica]. */
  attempted: number;
  swaps: [number, number][];
}

/**
 * One round of exchanges at sync `sync` over the current temperatures and Markov energies (f32, as
 * read back). Pairs whose chains hold no minimum yet are skipped; the others draw one uniform
 * number each, in ladder and rung order.
 */
export function exchangeRound(
  temperatures: ArrayLike<number>,
  markovEnergies: ArrayLike<number>,
  rungs: number,
  sync: number,
  rng: Rng,
): ExchangeRound {
  const swaps: [number, number][] = [];
  let attempted = 0;
  const none = Math.fround(NO_ENERGY);
  for (let first = 0; first < temperatures.length; first += rungs) {
    const ladder = Array.from(
      { length: Math.min(rungs, temperatures.length - first) },
      (_, k) => first + k,
    ).sort((a, b) => temperatures[a] - temperatures[b] || a - b);
    for (let k = sync % 2; k + 1 < ladder.length; k += 2) {
      const [cold, hot] = [ladder[k], ladder[k + 1]];
      if (markovEnergies[cold] >= none || markovEnergies[hot] >= none) continue;
      attempted++;
      const exponent = (1 / temperatures[cold] - 1 / temperatures[hot]) *
        (markovEnergies[cold] - markovEnergies[hot]);
      if (rng.uniform24() < Math.exp(Math.min(0, exponent))) swaps.push([cold, hot]);
    }
  }
  return { attempted, swaps };
}
