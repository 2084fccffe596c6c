/**
 * Timing a fused batch that the caller has initialized: one short advance first (llvmpipe
 * compiles the kernel at its first dispatch), then advances in chunks that double until one takes
 * a noticeable share of the time, until about `seconds` have passed; each chunk ends in a sync, as
 * a search's rounds do.
 */
import type { OptimizerBatch } from "../methods/optimizer_batch.ts";

export interface BatchTiming {
  /** Evaluations over all replicas during the timed chunks. */
  evaluations: number;
  seconds: number;
  /** Hops over all replicas during the timed chunks (hopping: relaxations ended). */
  hops: number;
}

export async function timeBatch(batch: OptimizerBatch, seconds: number): Promise<BatchTiming> {
  let limit = 1 + batch.stepsPerDispatch;
  batch.advance(limit);
  const warm = (await batch.sync()).replicas;
  let evaluationsBefore = sum(warm.evaluations);
  let hopsBefore = sum(warm.hops);
  let chunk = batch.stepsPerDispatch;
  const timing: BatchTiming = { evaluations: 0, seconds: 0, hops: 0 };
  while (timing.seconds < seconds) {
    const start = performance.now();
    limit += chunk;
    batch.advance(limit);
    const { replicas } = await batch.sync();
    const spent = (performance.now() - start) / 1000;
    timing.seconds += spent;
    if (spent < seconds / 4) chunk *= 2;
    const evaluations = sum(replicas.evaluations);
    const hops = sum(replicas.hops);
    timing.evaluations += evaluations - evaluationsBefore;
    timing.hops += hops - hopsBefore;
    evaluationsBefore = evaluations;
    hopsBefore = hops;
  }
  return timing;
}

export function sum(values: ArrayLike<number>): number {
  let total = 0;
  for (let k = 0; k < values.length; k++) total += values[k];
  return total;
}
