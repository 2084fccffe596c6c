/**
 * A global search: B replicas of one system advanced together on the GPU by one method, from
 * seeded random starts, for a budget of energy+force evaluations PER REPLICA (the unit every
 * comparison in this project uses). Every `syncEvery` evaluations the batch is read back once: the
 * minima the replicas logged go into the archive of distinct minima, the best energy and the
 * evaluations spent go into the trace, and the stop conditions are checked (budget, every replica
 * stopped, target or known minimum reached, abort). At the end the lowest archived minima are
 * re-relaxed in f64 (refine.ts). Writing files is separate (outputs.ts), so an aborted or failed
 * run still hands back everything it found.
 */
import {
  DEFAULT_LOG_CAPACITY,
  OptimizerBatch,
  type ReplicaSnapshot,
} from "../gpu/optimizer_batch.ts";
import type { Gpu } from "../gpu/device.ts";
import { type LoggedMinimum, NO_ENERGY } from "../optimizers/reference_replica.ts";
import type { Method, OptimizerSettings } from "../optimizers/settings.ts";
import type { KnownMinimum } from "../systems/known_minima.ts";
import { randomStructures } from "../systems/random_structures.ts";
import { Rng } from "../systems/rng.ts";
import type { System } from "../systems/system.ts";
import { DEFAULT_ENERGY_TOLERANCE, MinimaArchive } from "./archive.ts";
import {
  defaultSettings,
  defaultSweeps,
  type HyperparameterSweeps,
  sweepValue,
} from "./defaults.ts";
import { refineMinima, type ReportedMinimum } from "./refine.ts";

/** A batch size that fills a GPU for clusters of tens of atoms. */
export const DEFAULT_REPLICAS = 1024;
/** Budget per replica: LJ38 basin hopping from random starts typically needs 1e4 to 1e6. */
export const DEFAULT_MAX_EVALUATIONS = 100_000;
/** Evaluations per replica between two readbacks: on llvmpipe about a second for 1024 replicas of
 * LJ38, often enough for progress and a prompt Ctrl-C, rare enough that readbacks cost little. */
export const DEFAULT_SYNC_EVERY = 256;
/** Distinct minima re-relaxed in f64 and reported. Re-relaxing costs a few hundred f64
 * evaluations each: nothing for LJ38, seconds each for a thousand Gupta atoms. */
export const DEFAULT_KEEP = 20;
/** Distinct minima the archive holds (the lowest); "distinct minima" counts at most this many. */
export const ARCHIVE_CAPACITY = 1000;

export interface SearchOptions {
  system: System;
  method: Method;
  replicas: number;
  /** Budget of energy+force evaluations per replica (the first evaluation at the start counts). */
  maxEvaluations: number;
  /** Seeds the random starts (replica r: `randomStructure(system, seed, r)`) and the replicas'
   * random streams. */
  seed: number;
  settings: OptimizerSettings;
  sweeps: HyperparameterSweeps;
  /** Stop once the best energy is within `goalTolerance` of (or below) this energy. */
  target?: number;
  /** Stop once the system's known minimum (`knownGoal`) is reached. */
  stopAtKnown: boolean;
  syncEvery: number;
  /** Minima each replica may log between two syncs (the lowest are kept). */
  logCapacity: number;
  /** How many of the lowest distinct minima to re-relax in f64 and report. */
  keep: number;
}

/** Options for `method` on `system` with every default filled in, then `overrides`. */
export function searchOptions(
  system: System,
  method: Method,
  overrides: Partial<Omit<SearchOptions, "system" | "method">> = {},
): SearchOptions {
  return {
    system,
    method,
    replicas: DEFAULT_REPLICAS,
    maxEvaluations: DEFAULT_MAX_EVALUATIONS,
    seed: 1,
    settings: defaultSettings(system, method),
    sweeps: defaultSweeps(system, method),
    stopAtKnown: false,
    syncEvery: DEFAULT_SYNC_EVERY,
    logCapacity: DEFAULT_LOG_CAPACITY,
    keep: DEFAULT_KEEP,
    ...overrides,
  };
}

/**
 * The energy window within which two energies count as the same minimum, in the system's energy
 * unit. The GPU's f32 sums round by about 1e-6 |E| (archive.ts), and |E| stays below 9 units per
 * atom for every supported potential (fcc LJ binds 8.6 epsilon per atom, Gupta metals and SW
 * silicon at most 6 eV), so max(1e-3, 2e-6 * 9 N) covers the rounding with a margin of two while
 * staying far below the gaps between low minima (LJ38's two lowest differ by 0.68 epsilon).
 */
export function energyTolerance(system: System): number {
  return Math.max(DEFAULT_ENERGY_TOLERANCE, 2e-6 * 9 * system.nAtoms);
}

/** The known minimum a search is measured against: the putative global minimum, else an upper
 * bound on it (reaching means getting at or below either). */
export function knownGoal(system: System): KnownMinimum | undefined {
  return system.known.find((k) => k.kind === "putative-global") ??
    system.known.find((k) => k.kind === "upper-bound");
}

/** Whether and when a search got to an energy. */
export interface GoalStatus {
  energy: number;
  /** Reached means best <= energy + tolerance (energyTolerance of the system). */
  tolerance: number;
  reached: boolean;
  /** Evaluations the first replica to get there had spent (per replica); null if not reached. */
  evaluationsPerReplica: number | null;
}

export interface TracePoint {
  /** Most evaluations any replica has spent. */
  evaluations: number;
  /** Lowest energy any replica has evaluated (f32, GPU); null before any is finite. */
  bestEnergy: number | null;
  distinctMinima: number;
  /** Since the replicas started. */
  seconds: number;
}

export interface SearchProgress extends TracePoint {
  maxEvaluations: number;
  /** Evaluations spent by all replicas together. */
  totalEvaluations: number;
  /** All replicas' evaluations per second. */
  rate: number;
  /** Seconds left at the rate so far if the whole budget is spent. */
  etaSeconds: number;
}

export type StopReason =
  | "budget"
  | "all-stopped"
  | "target"
  | "known"
  | "interrupted"
  | "failed";

export interface SearchResult {
  options: SearchOptions;
  adapter: string;
  stopReason: StopReason;
  /** What ended a "failed" run (an exception thrown after the replicas started). */
  error?: unknown;
  /** Most evaluations any replica spent, and all replicas' evaluations together. */
  evaluationsPerReplica: number;
  totalEvaluations: number;
  /** From the start of the search to the end of the f64 re-relaxation. */
  wallSeconds: number;
  /** One point per sync. */
  trace: TracePoint[];
  known?: KnownMinimum & GoalStatus;
  target?: GoalStatus;
  /** Distinct minima in the archive (at most ARCHIVE_CAPACITY). */
  distinctMinima: number;
  /** The lowest distinct minima, re-relaxed in f64 and merged, lowest first. */
  minima: ReportedMinimum[];
}

export interface SearchContext {
  gpu: Gpu;
  /** Called after every sync. */
  onProgress?: (progress: SearchProgress) => void;
  /** Ends the search after the round in flight; what was found is still returned. */
  signal?: AbortSignal;
}

/**
 * Seed of the replicas' random streams (replica r uses stream r). Derived from `seed` rather than
 * equal to it: the random starts already use stream r of `seed`, and the kernel's first hop would
 * otherwise draw the very numbers that placed the atoms.
 */
export function streamSeed(seed: number): number {
  return new Rng(seed, -1).nextUint32();
}

export async function runSearch(
  options: SearchOptions,
  context: SearchContext,
): Promise<SearchResult> {
  const started = performance.now();
  const { system, replicas, sweeps } = options;
  const batch = await OptimizerBatch.create(context.gpu, system, replicas, {
    method: options.method,
    settings: options.settings,
    logCapacity: options.logCapacity,
  });
  const tolerance = energyTolerance(system);
  const archive = new MinimaArchive({ capacity: ARCHIVE_CAPACITY, energyTolerance: tolerance });
  const known = knownGoal(system);
  const goals = {
    known: known && { ...known, ...openGoal(known.energy, tolerance) },
    target: options.target === undefined ? undefined : openGoal(options.target, tolerance),
  };
  const trace: TracePoint[] = [];
  let stopReason: StopReason = "budget";
  let error: unknown;
  let snapshot: ReplicaSnapshot | undefined;
  try {
    const seed = streamSeed(options.seed);
    batch.initialize(randomStructures(system, options.seed, replicas), (r) => ({
      step: sweepValue(sweeps.step, r, replicas),
      dr: sweepValue(sweeps.dr, r, replicas),
      temperature: sweepValue(sweeps.temperature, r, replicas),
      seed,
    }));
    const t0 = performance.now();
    for (let limit = 1; limit < options.maxEvaluations;) {
      limit = Math.min(limit + options.syncEvery, options.maxEvaluations);
      const sync = await advance(batch, limit, options.maxEvaluations);
      snapshot = sync.replicas;
      sync.minima.forEach((found, replica) => {
        for (const m of found) {
          archive.add({ ...m, species: system.species, box: system.box, replica });
        }
      });
      for (const goal of [goals.known, goals.target]) {
        if (goal) updateGoal(goal, snapshot, sync.minima);
      }
      const point = tracePoint(snapshot, archive.size, (performance.now() - t0) / 1000);
      trace.push(point);
      context.onProgress?.(progress(point, snapshot, options.maxEvaluations));
      const reason = stopAfterSync(options, goals, snapshot, context.signal);
      if (reason !== undefined) {
        stopReason = reason;
        break;
      }
    }
  } catch (thrown) {
    if (snapshot === undefined) throw thrown;
    stopReason = "failed";
    error = thrown;
  } finally {
    batch.destroy();
  }
  const minima = refineMinima(system, archive.entries().slice(0, options.keep), tolerance);
  return {
    options,
    adapter: context.gpu.adapterName,
    stopReason,
    error,
    evaluationsPerReplica: snapshot ? extreme(snapshot.evaluations, Math.max) : 1,
    totalEvaluations: snapshot ? sum(snapshot.evaluations) : replicas,
    wallSeconds: (performance.now() - started) / 1000,
    trace,
    known: goals.known,
    target: goals.target,
    distinctMinima: archive.size,
    minima,
  };
}

/** Rounds queue dispatches without waiting for stragglers; the last makes sure every running
 * replica spends the whole budget. */
function advance(batch: OptimizerBatch, limit: number, maxEvaluations: number) {
  if (limit === maxEvaluations) return batch.advanceTo(limit);
  batch.advance(limit);
  return batch.sync();
}

function openGoal(energy: number, tolerance: number): GoalStatus {
  return { energy, tolerance, reached: false, evaluationsPerReplica: null };
}

/**
 * Marks the goal reached at the first sync where some replica's best energy, or a minimum logged
 * since the last sync, is within the tolerance. The cost is the fewest evaluations among them:
 * a replica's bestEvaluations moves on when it later revisits the minimum at a lower f32 energy,
 * so it is exact only at the sync where the goal is first reached, and the logged minima (which
 * keep the evaluation count at which each was found) can only lower it.
 */
function updateGoal(goal: GoalStatus, replicas: ReplicaSnapshot, minima: LoggedMinimum[][]) {
  if (goal.reached) return;
  const threshold = goal.energy + goal.tolerance;
  let first = Infinity;
  replicas.bestEnergy.forEach((energy, r) => {
    if (energy <= threshold) first = Math.min(first, replicas.bestEvaluations[r]);
  });
  for (const m of minima.flat()) if (m.energy <= threshold) first = Math.min(first, m.evaluations);
  if (first < Infinity) {
    goal.reached = true;
    goal.evaluationsPerReplica = first;
  }
}

function stopAfterSync(
  options: SearchOptions,
  goals: { known?: GoalStatus; target?: GoalStatus },
  replicas: ReplicaSnapshot,
  signal: AbortSignal | undefined,
): StopReason | undefined {
  if (goals.target?.reached) return "target";
  if (options.stopAtKnown && goals.known?.reached) return "known";
  if (replicas.status.every((status) => status !== "running")) return "all-stopped";
  if (signal?.aborted) return "interrupted";
  return undefined;
}

function tracePoint(
  replicas: ReplicaSnapshot,
  distinctMinima: number,
  seconds: number,
): TracePoint {
  const best = extreme(replicas.bestEnergy, Math.min);
  return {
    evaluations: extreme(replicas.evaluations, Math.max),
    // The kernel's stand-in for +infinity, as read back in f32.
    bestEnergy: best < Math.fround(NO_ENERGY) ? best : null,
    distinctMinima,
    seconds,
  };
}

function progress(
  point: TracePoint,
  replicas: ReplicaSnapshot,
  maxEvaluations: number,
): SearchProgress {
  const totalEvaluations = sum(replicas.evaluations);
  const perReplicaRate = point.evaluations / point.seconds;
  return {
    ...point,
    maxEvaluations,
    totalEvaluations,
    rate: totalEvaluations / point.seconds,
    etaSeconds: (maxEvaluations - point.evaluations) / perReplicaRate,
  };
}

/** Math.max or Math.min over a typed array (spreading 10^5 replicas would overflow the stack). */
function extreme(values: ArrayLike<number>, pick: (a: number, b: number) => number): number {
  let result = values[0];
  for (let k = 1; k < values.length; k++) result = pick(result, values[k]);
  return result;
}

function sum(values: ArrayLike<number>): number {
  let total = 0;
  for (let k = 0; k < values.length; k++) total += values[k];
  return total;
}
