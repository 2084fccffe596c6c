/**
 * The hop decisions of a learned hop controller (src/learned/hopper.ts), from f64 trajectories of
 * its mirror (ReferenceReplica.onHop): when it hops (relaxation steps before each hop, hops per
 * 1000 evaluations), how far (the hop's displacement), with which multipliers of basin hopping's
 * defaults, which moves it takes, how often the Metropolis test accepts, and which atoms its
 * surface moves take (rank 0 is basin hopping's highest-energy atom). Run beside its untrained
 * start, which is basin hopping, from the same seeded starts, it shows what training changed.
 */
import type { LearnedOptimizer } from "../learned/learned_optimizer.ts";
import { hopControl } from "../methods/method_spec.ts";
import {
  type HopEvent,
  type HopMove,
  referenceContext,
  ReferenceReplica,
} from "../methods/reference_replica.ts";
import { defaultSettings, methodSpec } from "../search/defaults.ts";
import { MOVE_NAMES } from "../methods/moves/registry.ts";
import { randomStructure } from "../systems/random_structures.ts";
import type { System } from "../systems/system.ts";

/** Every move a hop can make (src/methods/moves/registry.ts). */
export const HOP_MOVES: readonly HopMove[] = MOVE_NAMES;

/** The hops of one optimizer's trajectories, and the evaluations they spent. */
export interface HopRecord {
  events: HopEvent[];
  evaluations: number;
}

export interface HopDecisionSummary {
  label: string;
  hops: number;
  evaluations: number;
  hopsPerThousandEvaluations: number;
  /** Median steps of the relaxation each hop ended. */
  medianRelaxSteps: number;
  /** Hop displacements (HopEvent) in bond lengths: root mean square over atoms, and the largest
   * single atom's. */
  rmsDisplacement: { median: number; q90: number };
  maxDisplacement: { median: number; q90: number };
  /** Mean multipliers of basin hopping's temperature, dr and hop tolerance (1 for it). */
  meanScales: { temperature: number; dr: number; hopFmax: number };
  /** The fraction of hops that made each move. */
  moves: Record<HopMove, number>;
  /** The fraction of hops whose Metropolis test accepted. */
  acceptance: number;
  /** Surface moves: how many, the fraction that took basin hopping's atom (rank 0) and the mean
   * rank of the atom taken; null without surface moves. */
  surface: { moves: number; basinHoppingAtom: number; meanRank: number } | null;
}

export interface HopDecisionOptions {
  system: System;
  learned: LearnedOptimizer;
  /** The learned optimizer's start (its architecture at the initial theta): basin hopping. */
  untrained: LearnedOptimizer;
  starts: number;
  /** Per start. */
  evaluations: number;
  seed: number;
}

/**
 * The hops of `optimizer` on `system` from `starts` seeded random starts (randomStructure of
 * `seed`, start s on stream s, with the architecture's hyperparameters as the evaluation runs
 * it), each `evaluations` long; null when its architecture takes no hop decisions.
 */
export function recordHops(
  system: System,
  optimizer: LearnedOptimizer,
  options: { starts: number; evaluations: number; seed: number },
): HopRecord | null {
  const spec = methodSpec(system, defaultSettings(system, "learned"), optimizer);
  if (hopControl(spec) === undefined) return null;
  const context = referenceContext(system, spec, { weights: optimizer.weights });
  const hyper = optimizer.architecture.hyperparameters(system, options.seed);
  const events: HopEvent[] = [];
  let evaluations = 0;
  for (let s = 0; s < options.starts; s++) {
    const start = randomStructure(system, options.seed, s);
    const replica = new ReferenceReplica(context, start, hyper, s);
    replica.onHop = (event) => events.push(event);
    replica.advanceTo(options.evaluations);
    evaluations += replica.evaluations;
  }
  return { events, evaluations };
}

/** The summary of one record; lengths divided by `bondLength`. */
export function summariseHops(
  label: string,
  record: HopRecord,
  bondLength: number,
): HopDecisionSummary {
  const { events, evaluations } = record;
  const hops = events.length;
  const share = (count: number) => hops === 0 ? NaN : count / hops;
  const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;
  const spread = (values: number[]) => {
    const sorted = values.map((v) => v / bondLength).sort((a, b) => a - b);
    return { median: quantile(sorted, 0.5), q90: quantile(sorted, 0.9) };
  };
  const ranks = events.flatMap((e) => e.surface === undefined ? [] : [e.surface.rank]);
  return {
    label,
    hops,
    evaluations,
    hopsPerThousandEvaluations: 1000 * hops / evaluations,
    medianRelaxSteps: quantile(events.map((e) => e.relaxSteps).sort((a, b) => a - b), 0.5),
    rmsDisplacement: spread(events.map((e) => e.rmsDisplacement)),
    maxDisplacement: spread(events.map((e) => e.maxDisplacement)),
    meanScales: {
      temperature: mean(events.map((e) => e.decision.temperatureScale)),
      dr: mean(events.map((e) => e.decision.drScale)),
      hopFmax: mean(events.map((e) => e.decision.hopFmaxScale)),
    },
    moves: Object.fromEntries(
      HOP_MOVES.map((move) => [move, share(events.filter((e) => e.move === move).length)]),
    ) as Record<HopMove, number>,
    acceptance: share(events.filter((e) => e.accepted).length),
    surface: ranks.length === 0 ? null : {
      moves: ranks.length,
      basinHoppingAtom: ranks.filter((rank) => rank === 0).length / ranks.length,
      meanRank: mean(ranks),
    },
  };
}

/** The learned optimizer's hop decisions beside its untrained start's, from the same starts;
 * null when its architecture takes no hop decisions (a per-step learned optimizer). */
export function hopDecisions(options: HopDecisionOptions): HopDecisionSummary[] | null {
  const { system } = options;
  const learned = recordHops(system, options.learned, options);
  const untrained = recordHops(system, options.untrained, options);
  if (learned === null || untrained === null) return null;
  return [
    summariseHops("learned", learned, system.bondLength),
    summariseHops("untrained", untrained, system.bondLength),
  ];
}

/** The p-quantile of sorted values (the order statistic below; NaN for none). */
function quantile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.floor(p * (sorted.length - 1))];
}
