/**
 * What one method achieved on one system, from a search's per-replica results, measured against
 * the system's reference energy:
 * - success rate: the fraction of replicas whose best energy (f32, as the GPU evaluated it) is at
 *   most the reference plus the search's energy tolerance (`energyTolerance`, which covers f32
 *   rounding);
 * - evaluations to the first hit: the median over the replicas that hit, with a seeded bootstrap
 *   95% interval (only against a known minimum: the search records first hits for that alone);
 * - the replicas' best energies: lowest, 10%, 50% and 90% quantiles, absolute and per atom above
 *   the reference;
 * - distinct minima in the search's archive per million evaluations spent by all replicas.
 * The reference is the putative global minimum where the system has one; otherwise the lower of a
 * longer pooled search's best (data/pooled_minima.json) and the lowest best energy any replica of
 * any compared method evaluated.
 */
import type { EvalMethod } from "./eval_methods.ts";
import { energyTolerance, type SearchResult, type StopReason } from "../search/run_search.ts";
import type { System } from "../systems/system.ts";
import {
  bootstrapInterval,
  type BootstrapOptions,
  type Interval,
  median,
  quantile,
  sortedCopy,
} from "../core/statistics.ts";

/** The energy a system's results are measured against. */
export interface Reference {
  energy: number;
  /** "known": the system's putative global minimum; "pooled": none is known, and the best of a
   * longer pooled search is the lowest energy; "best-found": the lowest best energy (f32) any
   * replica of any compared method evaluated. */
  source: "known" | "pooled" | "best-found";
  description: string;
}

/** Lowest value and quantiles over the replicas. */
export interface Spread {
  best: number;
  q10: number;
  median: number;
  q90: number;
}

/** Evaluations per replica to the first hit of a known minimum. */
export interface FirstHits {
  replicasHit: number;
  /** Median over the replicas that hit; null when none did. */
  median: number | null;
  /** Bootstrap 95% interval of that median; null when none hit. */
  interval: Interval | null;
}

export interface MethodMetrics {
  method: EvalMethod;
  replicas: number;
  /** Replicas whose best energy (f32) is within the tolerance of the reference, and their
   * fraction. */
  successes: number;
  successRate: number;
  /** Only against a known minimum (null for a best-found reference). */
  firstHits: FirstHits | null;
  /** The replicas' best energies (f32, GPU). */
  bestEnergy: Spread;
  /** The same, (E - reference) / N. */
  gapPerAtom: Spread;
  /** The lowest reported point's f64 energy (polished where the search finished it); null when
   * none was found. */
  refinedBestEnergy: number | null;
  /** Whether that point is a minimum (f64 fmax at most REFINE_FMAX); false: the search stopped
   * before relaxing it. */
  refinedBestConverged: boolean | null;
  /** f64 evaluations spent reporting minima, apart from `totalEvaluations`. */
  refinementEvaluations: number;
  /** Points with a non-finite energy or force the replicas rejected (SearchResult). */
  rejectedNonfinite: number;
  distinctMinima: number;
  /** distinctMinima / all replicas' evaluations * 1e6. */
  distinctMinimaPerMillion: number;
  /** Most evaluations any replica spent (local methods stop early), and all together. */
  evaluationsPerReplica: number;
  totalEvaluations: number;
  wallSeconds: number;
  stopReason: StopReason;
}

/** The system's putative global minimum; else the pooled search's best (data/pooled_minima.json)
 * or the lowest replica best energy among `results`, whichever is lower. */
export function systemReference(system: System, results: SearchResult[]): Reference {
  const known = system.known.find((k) => k.kind === "putative-global");
  if (known !== undefined) {
    return {
      energy: known.energy,
      source: "known",
      description: `putative global minimum: ${known.description} (${known.source})`,
    };
  }
  const found = Math.min(...results.map((r) => Math.min(...r.replicaBestEnergies)));
  const pooled = system.known.find((k) => k.kind === "pooled-best");
  // Within the tolerance a lower f32 best is the same minimum, rounded.
  if (pooled !== undefined && pooled.energy <= found + energyTolerance(system)) {
    return {
      energy: pooled.energy,
      source: "pooled",
      description: `no known global minimum: the ${pooled.description} ten times longer than ` +
        `these searches (${pooled.source})`,
    };
  }
  return {
    energy: found,
    source: "best-found",
    description: "no known global minimum: the lowest best energy (f32) any replica of any " +
      "method evaluated" + (pooled === undefined ? "" : `, below the ${pooled.description}`),
  };
}

/** 1 for each best energy at most `threshold`, else 0 (a sample for bootstrapping rates). */
export function hitIndicators(bests: ArrayLike<number>, threshold: number): Float64Array {
  return Float64Array.from(bests, (e) => e <= threshold ? 1 : 0);
}

/** How many best energies are at most `threshold`. */
export function countSuccesses(bests: ArrayLike<number>, threshold: number): number {
  return hitIndicators(bests, threshold).reduce((a, b) => a + b, 0);
}

/** (E - reference) / N for each best energy. */
export function gapsPerAtom(bests: ArrayLike<number>, reference: number, nAtoms: number) {
  return Float64Array.from(bests, (e) => (e - reference) / nAtoms);
}

/** Lowest value, 10%, 50% and 90% quantiles of a non-empty sample. */
export function spread(values: ArrayLike<number>): Spread {
  const sorted = sortedCopy(values);
  return {
    best: sorted[0],
    q10: quantile(sorted, 0.1),
    median: quantile(sorted, 0.5),
    q90: quantile(sorted, 0.9),
  };
}

/** Median and bootstrap interval of the finite first hits (Infinity: never hit). */
export function firstHitSummary(
  firstHits: ArrayLike<number>,
  bootstrap: BootstrapOptions,
): FirstHits {
  const hits = Array.from(firstHits).filter(Number.isFinite);
  if (hits.length === 0) return { replicasHit: 0, median: null, interval: null };
  return {
    replicasHit: hits.length,
    median: median(hits),
    interval: bootstrapInterval(hits, median, bootstrap),
  };
}

/** Every metric of one search, run as `method`, against `reference`. */
export function methodMetrics(
  method: EvalMethod,
  result: SearchResult,
  reference: Reference,
  bootstrap: BootstrapOptions,
): MethodMetrics {
  const { system, replicas } = result.options;
  const bests = result.replicaBestEnergies;
  const threshold = reference.energy + energyTolerance(system);
  const successes = countSuccesses(bests, threshold);
  // The search records first hits against knownGoal: the known minimum, else the pooled best.
  const firstHits = reference.source !== "best-found" && result.replicaFirstHits !== null
    ? firstHitSummary(result.replicaFirstHits, bootstrap)
    : null;
  return {
    method,
    replicas,
    successes,
    successRate: successes / replicas,
    firstHits,
    bestEnergy: spread(bests),
    gapPerAtom: spread(gapsPerAtom(bests, reference.energy, system.nAtoms)),
    refinedBestEnergy: result.minima[0]?.energy ?? null,
    refinedBestConverged: result.minima[0]?.converged ?? null,
    refinementEvaluations: result.refinementEvaluations,
    rejectedNonfinite: result.rejectedNonfinite.points,
    distinctMinima: result.distinctMinima,
    distinctMinimaPerMillion: result.distinctMinima / result.totalEvaluations * 1e6,
    evaluationsPerReplica: result.evaluationsPerReplica,
    totalEvaluations: result.totalEvaluations,
    wallSeconds: result.wallSeconds,
    stopReason: result.stopReason,
  };
}
