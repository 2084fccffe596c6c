/**
 * The verdict of an evaluation: the learned optimizer against the best baseline on each system,
 * with its uncertainty. Where the system has a known global minimum or a pooled reference the
 * criterion is the success rate (higher is better), else the median over replicas of the best
 * energy per atom above the reference (lower is better), where differences within the energy
 * tolerance per atom tie. The best baseline is the one with the best value of the criterion
 * (on equal success rates, the lower median). The difference learned - baseline gets a seeded
 * bootstrap 95% interval, each method's replicas resampled on their own; the learned optimizer
 * wins or loses only when that interval excludes 0, and ties otherwise.
 *
 * A suite's verdict sums its systems' up: "wins" when the learned optimizer wins on at least one
 * system and loses on none, "loses" in the mirror case, "ties" when every system is a tie, and
 * "mixed" when it wins on some and loses on others.
 */
import type { EvalMethod } from "./eval_methods.ts";
import { gapsPerAtom, hitIndicators, type Reference } from "./metrics.ts";
import {
  bootstrapDifference,
  type BootstrapOptions,
  type Interval,
  mean,
  median,
} from "../core/statistics.ts";

export type Verdict = "wins" | "ties" | "loses";
export type SuiteVerdict = Verdict | "mixed";

/** "success-rate" against a known minimum, else "median-gap-per-atom". */
export type Criterion = "success-rate" | "median-gap-per-atom";

/** One method's replicas on one system, as samples to compare. */
export interface MethodSample {
  method: EvalMethod;
  /** 1 per replica whose best energy reached the reference within the tolerance, else 0. */
  hits: Float64Array;
  /** (best energy - reference) / N per replica. */
  gaps: Float64Array;
}

export interface Comparison {
  criterion: Criterion;
  baseline: EvalMethod;
  /** The criterion's value for the learned optimizer and the baseline, and learned - baseline. */
  learned: number;
  baselineValue: number;
  difference: number;
  /** Bootstrap 95% interval of the difference. */
  interval: Interval;
  verdict: Verdict;
}

/** A method's sample from its replicas' best energies, against `reference` plus `tolerance`. */
export function methodSample(
  method: EvalMethod,
  bests: ArrayLike<number>,
  reference: Reference,
  tolerance: number,
  nAtoms: number,
): MethodSample {
  return {
    method,
    hits: hitIndicators(bests, reference.energy + tolerance),
    gaps: gapsPerAtom(bests, reference.energy, nAtoms),
  };
}

/** Success rate against a fixed reference (a known minimum or a pooled longer search's best)
 * that some compared method reached, else the median gap: where the reference is the best any
 * method found, or where none reached it (silicon's crystal from random starts), success rates
 * are all 0 and say nothing. */
export function criterionFor(reference: Reference, samples: readonly MethodSample[]): Criterion {
  const reached = samples.some((sample) => sample.hits.some((hit) => hit > 0));
  return reference.source === "best-found" || !reached ? "median-gap-per-atom" : "success-rate";
}

/** The sample a criterion looks at, and the statistic it takes of it. */
function measure(criterion: Criterion) {
  return criterion === "success-rate"
    ? { values: (s: MethodSample) => s.hits, statistic: mean, higherIsBetter: true }
    : { values: (s: MethodSample) => s.gaps, statistic: median, higherIsBetter: false };
}

/** The criterion's value of a sample: its success rate or its median gap per atom. */
export function criterionValue(criterion: Criterion, sample: MethodSample): number {
  const { values, statistic } = measure(criterion);
  return statistic(values(sample));
}

/** The baseline with the best criterion value; equal success rates go to the lower median gap,
 * and remaining ties to the first listed. */
export function bestBaseline(criterion: Criterion, baselines: MethodSample[]): MethodSample {
  const key = (s: MethodSample) =>
    criterion === "success-rate" ? [-mean(s.hits), median(s.gaps)] : [median(s.gaps)];
  const before = (a: number[], b: number[]) => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
  return baselines.reduce((best, s) => before(key(s), key(best)) ? s : best);
}

/** "wins" or "loses" when the interval of learned - baseline excludes [-margin, margin], else
 * "ties". The margin keeps f32 rounding from deciding: two replicas at the same minimum differ
 * in best energy by up to the energy tolerance, so median gaps per atom by up to tolerance / N. */
export function verdictFromInterval(
  criterion: Criterion,
  interval: Interval,
  margin = 0,
): Verdict {
  const { higherIsBetter } = measure(criterion);
  if (interval.lower > margin) return higherIsBetter ? "wins" : "loses";
  if (interval.upper < -margin) return higherIsBetter ? "loses" : "wins";
  return "ties";
}

/** The learned optimizer against the best of `baselines` (at least one) under `criterion`;
 * differences within `margin` tie (verdictFromInterval). */
export function compareLearned(
  criterion: Criterion,
  learned: MethodSample,
  baselines: MethodSample[],
  bootstrap: BootstrapOptions,
  margin = 0,
): Comparison {
  const baseline = bestBaseline(criterion, baselines);
  const { values, statistic } = measure(criterion);
  const interval = bootstrapDifference(values(learned), values(baseline), statistic, bootstrap);
  const learnedValue = criterionValue(criterion, learned);
  const baselineValue = criterionValue(criterion, baseline);
  return {
    criterion,
    baseline: baseline.method,
    learned: learnedValue,
    baselineValue,
    difference: learnedValue - baselineValue,
    interval,
    verdict: verdictFromInterval(criterion, interval, margin),
  };
}

/** A suite's verdict from its systems' (see above); "ties" for none. */
export function suiteVerdict(verdicts: Verdict[]): SuiteVerdict {
  const wins = verdicts.includes("wins");
  const losses = verdicts.includes("loses");
  if (wins && losses) return "mixed";
  return wins ? "wins" : losses ? "loses" : "ties";
}
