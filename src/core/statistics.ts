/**
 * Small statistics for comparing optimizers over replicas: quantiles, and seeded percentile
 * bootstrap intervals of a statistic or of the difference of a statistic between two samples.
 * Resampling draws from the project's seeded generator, so the same seed gives the same interval
 * on every machine.
 */
import { Rng } from "./rng.ts";

/** Resamples per bootstrap interval: enough for the 2.5% and 97.5% points of a 95% interval to
 * move by a small fraction of its width between seeds. */
export const DEFAULT_RESAMPLES = 1000;
/** Coverage of the reported intervals. */
export const DEFAULT_LEVEL = 0.95;

/** A closed interval [lower, upper]. */
export interface Interval {
  lower: number;
  upper: number;
}

export interface BootstrapOptions {
  /** Seeds the resampling. */
  seed: number;
  resamples?: number;
  /** Coverage, e.g. 0.95 for the 2.5% and 97.5% percentiles of the resampled statistic. */
  level?: number;
}

/**
 * The q-quantile (0 <= q <= 1) of values sorted ascending, interpolating linearly between the
 * order statistics at (n - 1) q (Hyndman & Fan's type 7, numpy's default). Equal neighbours are
 * returned as they are, so +Infinity entries give +Infinity rather than NaN. NaN when empty.
 */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  const [low, high] = [sorted[below], sorted[above]];
  if (low === high) return low;
  return low + (high - low) * (position - below);
}

/** An ascending copy (numeric order) of any array of numbers. */
export function sortedCopy(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort();
}

/** The median (0.5-quantile) of unsorted values; NaN when empty. */
export function median(values: ArrayLike<number>): number {
  return quantile(sortedCopy(values), 0.5);
}

/** The mean of values; NaN when empty. */
export function mean(values: ArrayLike<number>): number {
  let total = 0;
  for (let k = 0; k < values.length; k++) total += values[k];
  return total / values.length;
}

/** The population standard deviation (over n, not n - 1); 0 for fewer than two values. */
export function standardDeviation(values: ArrayLike<number>): number {
  if (values.length < 2) return 0;
  const centre = mean(values);
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += (values[i] - centre) ** 2;
  return Math.sqrt(sum / values.length);
}

/** Fills `into` with a resample with replacement of `sample`. */
function resample(sample: ArrayLike<number>, into: Float64Array, rng: Rng): Float64Array {
  for (let k = 0; k < into.length; k++) into[k] = sample[Math.floor(rng.uniform() * sample.length)];
  return into;
}

/** The central `level` percentile interval of resampled statistics. */
function percentileInterval(replicates: Float64Array, level: number): Interval {
  replicates.sort();
  return {
    lower: quantile(replicates, (1 - level) / 2),
    upper: quantile(replicates, (1 + level) / 2),
  };
}

/**
 * Percentile bootstrap interval of `statistic` over a non-empty sample: the statistic of
 * `resamples` resamples with replacement, and their central `level` percentiles.
 */
export function bootstrapInterval(
  sample: ArrayLike<number>,
  statistic: (values: Float64Array) => number,
  options: BootstrapOptions,
): Interval {
  if (sample.length === 0) throw new RangeError("bootstrap of an empty sample");
  const { seed, resamples = DEFAULT_RESAMPLES, level = DEFAULT_LEVEL } = options;
  const rng = new Rng(seed);
  const scratch = new Float64Array(sample.length);
  const replicates = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) replicates[b] = statistic(resample(sample, scratch, rng));
  return percentileInterval(replicates, level);
}

/**
 * Percentile bootstrap interval of statistic(a) - statistic(b) for two independent non-empty
 * samples, each resampled on its own (its own stream of `seed`).
 */
export function bootstrapDifference(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  statistic: (values: Float64Array) => number,
  options: BootstrapOptions,
): Interval {
  if (a.length === 0 || b.length === 0) throw new RangeError("bootstrap of an empty sample");
  const { seed, resamples = DEFAULT_RESAMPLES, level = DEFAULT_LEVEL } = options;
  const [rngA, rngB] = [new Rng(seed, 0), new Rng(seed, 1)];
  const [scratchA, scratchB] = [new Float64Array(a.length), new Float64Array(b.length)];
  const replicates = new Float64Array(resamples);
  for (let k = 0; k < resamples; k++) {
    replicates[k] = statistic(resample(a, scratchA, rngA)) -
      statistic(resample(b, scratchB, rngB));
  }
  return percentileInterval(replicates, level);
}
