/**
 * A global search: B replicas of one system advanced together on the GPU by one method, from
 * seeded random starts, for a budget of energy+force evaluations PER REPLICA (the unit every
 * comparison in this project uses). Every `syncEvery` evaluations the batch is read back once: the
 * minima the replicas logged go into the archive of distinct minima, the best energy, the spread
 * of the replicas' own bests, the fraction of replicas at the known minimum and the evaluations
 * spent go into the trace, and the stop conditions are checked (budget, every replica
 * stopped, target or known minimum reached, abort). Local methods (gd, adam, fire) log the
 * minimum each replica converged to; basin hopping and random restarts the lowest `logCapacity`
 * minima each replica left between two syncs; the learned optimizer (weights from a meta-training
 * checkpoint, `loadLearnedOptimizer`) never stops and logs each minimum it settles into, like basin
 * hopping. At the end the lowest archived minima, and the lowest points of replicas that were
 * still relaxing towards something lower than they had logged (such as the replica that has just
 * reached the target), are evaluated in f64 and merged (refine.ts): points the search brought below
 * its force tolerance are polished, in evaluations counted apart; the others are reported as they
 * are. A search can save its state (search_state.ts) and be continued from it. Writing files is
 * separate (outputs.ts), so an aborted or failed run still hands back everything it found.
 */
import type { ThreadLayout } from "../gpu/thread_layout.ts";
import { NO_ENERGY, type ReplicaStatus, STATUS_NAMES } from "../core/codes.ts";
import { UserError } from "../core/errors.ts";
import { quantile } from "../core/statistics.ts";
import { Rng } from "../core/rng.ts";
import type { Gpu } from "../gpu/device.ts";
import type { LearnedOptimizer } from "../learned/learned_optimizer.ts";
import {
  checkSpec,
  DEFAULT_LOG_CAPACITY,
  OptimizerBatch,
  type ReplicaSnapshot,
  type SyncResult,
} from "../methods/optimizer_batch.ts";
import type { LoggedMinimum } from "../methods/reference_replica.ts";
import { driverFmax } from "../methods/method_spec.ts";
import type { KnownMinimum } from "../potentials/known_minima.ts";
import { randomStructures } from "../systems/random_structures.ts";
import type { System } from "../systems/system.ts";
import { type ArchiveEntry, MinimaArchive } from "./archive.ts";
import { energyTolerance } from "../systems/energy_tolerance.ts";
import {
  DEFAULT_MAX_EVALUATIONS,
  defaultSettings,
  defaultSweeps,
  type HyperparameterSweeps,
  type Method,
  type MethodSettings,
  methodSpec,
  sweepValue,
} from "./defaults.ts";
import { type ReportedMinimum, reportMinima } from "./refine.ts";
import { exchangeRng, exchangeRound, ladderTemperature } from "./replica_exchange.ts";
import { poolRound, populationRng } from "./population.ts";
import { ARCHIVE_CAPACITY } from "./limits.ts";
import { GOAL_NAMES, type GoalName, type SavedOptions, type SearchState } from "./search_state.ts";

/** A batch size that fills a GPU for clusters of tens of atoms. */
export const DEFAULT_REPLICAS = 1024;
export { DEFAULT_MAX_EVALUATIONS } from "./defaults.ts";
/** Evaluations per replica between two readbacks: on llvmpipe about a second for 1024 replicas of
 * LJ38, often enough for progress and a prompt Ctrl-C, rare enough that readbacks cost little. */
export const DEFAULT_SYNC_EVERY = 256;
/** Distinct minima reported. Polishing one in f64 costs a few hundred f64 evaluations: nothing
 * for LJ38, seconds each for a thousand Gupta atoms. */
export const DEFAULT_KEEP = 20;
/** Candidates refined per minimum reported, at most: where several polish to the same minimum,
 * further archive entries are refined to report `keep` distinct ones, up to this many times. */
export const REPORT_EXAMINED_PER_KEPT = 4;
export { ARCHIVE_CAPACITY } from "./limits.ts";
/** Memory the archive's fingerprints may take (8 bytes per atom pair and minimum). */
const ARCHIVE_BYTES = 256 * 2 ** 20;

/** ARCHIVE_CAPACITY, or fewer minima for systems whose fingerprints would pass ARCHIVE_BYTES
 * (beyond ~250 atoms; 64 minima at 1024 atoms), but never fewer than `keep`. */
export function archiveCapacity(system: System, keep: number): number {
  const pairs = system.nAtoms * (system.nAtoms - 1) / 2;
  return Math.max(keep, Math.min(ARCHIVE_CAPACITY, Math.floor(ARCHIVE_BYTES / (8 * pairs))));
}

export interface SearchOptions {
  system: System;
  method: Method;
  replicas: number;
  /** Budget of energy+force evaluations per replica (the first evaluation at the start counts). */
  maxEvaluations: number;
  /** Seeds the random starts (replica r: `randomStructure(system, seed, r)`) and, through
   * `streamSeed`, the replicas' random streams. */
  seed: number;
  settings: MethodSettings;
  sweeps: HyperparameterSweeps;
  /** Stop once the best energy is at most this plus `energyTolerance(system)`. */
  target?: number;
  /** Count the replicas that get within `energyTolerance(system)` of this energy, without
   * stopping (a reference for systems whose minimum the project's table lacks). */
  reference?: number;
  /** Stop once the system's known minimum (`knownGoal`) is reached. */
  stopAtKnown: boolean;
  syncEvery: number;
  /** Minima each replica may log between two syncs (the lowest are kept). */
  logCapacity: number;
  /** How many of the lowest distinct minima to re-relax in f64 and report. */
  keep: number;
  /** Learned optimizer (required for the learned method, refused for others). */
  learned?: LearnedOptimizer;
  /** Where `learned` came from (a checkpoint's path), recorded in summary.json. */
  checkpoint?: string;
  /** Every replica's start, flat [replica][atom][xyz] (replicas x 3 N values), in place of the
   * seeded random starts: to run every method from the same given structures, or from a known
   * minimum to check the bookkeeping. `seed` still seeds the random streams. */
  starts?: Float64Array;
  /** Where `starts` came from (a file's path), recorded in summary.json. */
  startFile?: string;
}

/** Given starts must hold one structure per replica: a UserError otherwise. */
function checkStarts(options: SearchOptions): void {
  const { starts, replicas, system } = options;
  if (starts !== undefined && starts.length !== replicas * 3 * system.nAtoms) {
    throw new UserError(
      `starts must hold ${replicas} x ${3 * system.nAtoms} coordinates, got ${starts.length}`,
    );
  }
}

/**
 * What a basin-hopping batch would refuse, refused before any GPU work (the search task calls it
 * while it reads its flags): a move the system cannot take, a pool or a taboo list without
 * reseeding, crossover in a periodic box (checkSpec), and a pool larger than the batch (it holds
 * at most one minimum per replica). A UserError.
 */
export function checkHopping(options: SearchOptions): void {
  const { settings, replicas, system } = options;
  if (settings.driver !== "hopping") return;
  checkSpec(system, methodSpec(system, settings));
  const { pool } = settings.hopping;
  if (pool !== undefined && pool.size > replicas) {
    throw new UserError(
      `a pool of ${pool.size} minima is larger than the batch of ${replicas} replicas`,
    );
  }
}

/** A learned optimizer goes with the learned method and only with it: a UserError otherwise. */
function checkLearned(options: SearchOptions): void {
  const { method, learned } = options;
  if (method === "learned" && learned === undefined) {
    throw new UserError("the learned method needs weights (a checkpoint: --checkpoint FILE)");
  }
  if (method !== "learned" && learned !== undefined) {
    throw new UserError(`weights (--checkpoint) are for the learned method, not ${method}`);
  }
}

/** Options for `method` on `system` with every default filled in, then `overrides`. */
export function searchOptions(
  system: System,
  method: Method,
  overrides: Partial<Omit<SearchOptions, "system" | "method">> = {},
): SearchOptions {
  const settings = overrides.settings ??
    defaultSettings(system, method, overrides.maxEvaluations ?? DEFAULT_MAX_EVALUATIONS);
  return {
    system,
    method,
    replicas: DEFAULT_REPLICAS,
    maxEvaluations: DEFAULT_MAX_EVALUATIONS,
    seed: 1,
    settings,
    sweeps: defaultSweeps(system, settings),
    stopAtKnown: false,
    syncEvery: DEFAULT_SYNC_EVERY,
    logCapacity: DEFAULT_LOG_CAPACITY,
    keep: DEFAULT_KEEP,
    ...overrides,
  };
}

export { energyTolerance } from "../systems/energy_tolerance.ts";

/** The known minimum a search is measured against: the putative global minimum, else an upper
 * bound on it, else the best of a pooled longer search (data/pooled_minima.json); reaching means
 * getting at or below it. */
export function knownGoal(system: System): KnownMinimum | undefined {
  return system.known.find((k) => k.kind === "putative-global") ??
    system.known.find((k) => k.kind === "upper-bound") ??
    system.known.find((k) => k.kind === "pooled-best");
}

/** Whether and when a search got to an energy. */
export interface GoalStatus {
  energy: number;
  /** Reached means best <= energy + tolerance (energyTolerance of the system). */
  tolerance: number;
  reached: boolean;
  /** Evaluations per replica when the batch got there: the fewest any replica that got there had
   * spent (replicas advance in lockstep, so multiply by the replicas for the total cost); null
   * while not reached. */
  evaluationsPerReplica: number | null;
  /** Replicas that got there by the end, each on its own. */
  replicasReached: number;
  /** Median over those replicas of the evaluations each had spent when it first got there. */
  medianReplicaEvaluations: number | null;
}

/** How the replicas' own best energies spread at one sync (f32, GPU). */
export interface ReplicaQuantiles {
  min: number;
  /** Quantiles over the replicas (linear interpolation between order statistics); a replica
   * without a finite energy counts as +infinity (JSON null). */
  q10: number;
  q50: number;
  q90: number;
}

export interface TracePoint {
  /** Most evaluations any replica has spent. */
  evaluations: number;
  /** Lowest energy any replica has evaluated (f32, GPU); null before any is finite. */
  bestEnergy: number | null;
  /** Spread of every replica's best energy so far; null before any is finite. */
  replicaBest: ReplicaQuantiles | null;
  /** Fraction of the replicas that have reached the known minimum (`knownGoal`) so far, each on
   * its own; null for systems without one. */
  knownReachedFraction: number | null;
  distinctMinima: number;
  /** Since the replicas started. */
  seconds: number;
}

export interface SearchProgress extends TracePoint {
  /** `distinctMinima` stops growing here: the archive keeps the lowest this many. */
  archiveCapacity: number;
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
  /** The kernels' thread layout (src/gpu/thread_layout.ts). */
  layout: ThreadLayout;
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
  reference?: GoalStatus;
  /** Distinct minima in the archive, which keeps the lowest `archiveCapacity`. */
  distinctMinima: number;
  archiveCapacity: number;
  /** The lowest distinct minima, evaluated (and where the search finished them, polished) in f64
   * and merged, lowest first. */
  minima: ReportedMinimum[];
  /** How many of the archive's minima (and replicas' unlogged bests), lowest first, were
   * evaluated in f64 to find `minima`: more than `minima` where several polish to one. */
  candidatesExamined: number;
  /** f64 evaluations spent reporting `minima` (polishing included), not part of the search's. */
  refinementEvaluations: number;
  /** How many replicas ended running and converged (a local method's fmax). */
  replicaStatus: Record<ReplicaStatus, number>;
  /** Non-finite points rejected (each counted as the evaluation it was; the replica went back to
   * its Markov minimum or restarted, shaders/driver.wgsl), and how many replicas had any. */
  rejectedNonfinite: { points: number; replicas: number };
  /** Replica exchange (settings.hopping.exchangeRungs): pairs tested and swapped by this run
   * (since its start or resume); null without exchange. */
  exchanges: { attempted: number; accepted: number } | null;
  /** Restarts of stale chains over all replicas (settings.hopping.reseedHops), from the pool
   * where there is one; null without reseeding. */
  reseeds: number | null;
  /** Chains found stale at once by the replicas' taboo lists (settings.hopping.taboo); null
   * without. */
  tabooHits: number | null;
  /** Reseeds from the population's pool (settings.hopping.pool) made by this run (since its start
   * or resume): cut-and-splice children and perturbed pool members; null without a pool. */
  population: { crossovers: number; perturbed: number } | null;
  /** Each replica's lowest energy at the end (f32, GPU; +Infinity where none was finite). */
  replicaBestEnergies: Float32Array;
  /** Evaluations each replica had spent when it first reached the known minimum (`known`),
   * Infinity where it never did; null for systems without one. */
  replicaFirstHits: Float64Array | null;
}

export interface SearchContext {
  gpu: Gpu;
  /** Called after every sync. */
  onProgress?: (progress: SearchProgress) => void;
  /** Ends the search after the round in flight; what was found is still returned. */
  signal?: AbortSignal;
  /** Continues the search saved in this state (its options must be `options`). */
  resume?: SearchState;
  /** Called with the search's state after a sync every `stateSeconds` or so, and once when the
   * search stops (unless it failed). */
  saveState?: (state: SearchState) => Promise<void>;
  stateSeconds?: number;
}

/** How often a search's state is saved by default: what a crash can lose. */
export const DEFAULT_STATE_SECONDS = 60;

/** The options as JSON, for a saved state. */
export function savedOptions(options: SearchOptions): SavedOptions {
  return {
    system: options.system.name,
    method: options.method,
    replicas: options.replicas,
    maxEvaluations: options.maxEvaluations,
    seed: options.seed,
    settings: options.settings,
    sweeps: options.sweeps,
    target: options.target ?? null,
    reference: options.reference ?? null,
    stopAtKnown: options.stopAtKnown,
    syncEvery: options.syncEvery,
    logCapacity: options.logCapacity,
    keep: options.keep,
    checkpoint: options.checkpoint ?? null,
    startFile: options.startFile ?? null,
  };
}

/** The options `savedOptions` wrote, for `system` (parsed from `saved.system`); the learned
 * optimizer is the caller's to load from `saved.checkpoint`. */
export function restoredOptions(saved: SavedOptions, system: System): SearchOptions {
  return searchOptions(system, saved.method, {
    replicas: saved.replicas,
    maxEvaluations: saved.maxEvaluations,
    seed: saved.seed,
    settings: saved.settings,
    sweeps: saved.sweeps,
    target: saved.target ?? undefined,
    reference: saved.reference ?? undefined,
    stopAtKnown: saved.stopAtKnown,
    syncEvery: saved.syncEvery,
    logCapacity: saved.logCapacity,
    keep: saved.keep,
    startFile: saved.startFile ?? undefined,
  });
}

/**
 * Seed of the replicas' random streams (replica r uses stream r). Derived from `seed` rather than
 * equal to it: the random starts already use stream r of `seed`, and the kernel's first hop would
 * otherwise draw the same numbers that placed the atoms.
 */
/** The ladder size of a search's replica exchange; 0 without one. */
function exchangeRungs(settings: MethodSettings): number {
  return settings.driver === "hopping" ? settings.hopping.exchangeRungs ?? 0 : 0;
}

export function streamSeed(seed: number): number {
  return new Rng(seed, -1).nextUint32();
}

/** The batch a search runs, after the checks of its options that need no GPU. */
function searchBatchOptions(options: SearchOptions) {
  checkLearned(options);
  checkStarts(options);
  checkHopping(options);
  return {
    spec: methodSpec(options.system, options.settings, options.learned),
    logCapacity: options.logCapacity,
    weightVectors: options.learned === undefined ? 0 : 1,
  };
}

/** Throws what `runSearch` would throw before starting (a UserError for a system too large for
 * the kernel on this device, among others), without any GPU work: so that a set of searches is
 * refused before the first of them runs. */
export function checkSearch(options: SearchOptions, gpu: Gpu): void {
  OptimizerBatch.check(gpu, options.system, options.replicas, searchBatchOptions(options));
}

/**
 * Runs one search (see above). Throws only when the batch cannot be set up (a UserError for a
 * system too large for the fused kernel, or weights missing for the learned method or given to
 * another); a failure after the replicas have started ends the run as "failed" with what it had
 * found.
 */
export async function runSearch(
  options: SearchOptions,
  context: SearchContext,
): Promise<SearchResult> {
  const { resume } = context;
  const started = performance.now() - 1000 * (resume?.seconds ?? 0);
  const { system, replicas, sweeps, learned } = options;
  const batch = await OptimizerBatch.create(
    context.gpu,
    system,
    replicas,
    searchBatchOptions(options),
  );
  const record = new SearchRecord(options, resume);
  const rungs = exchangeRungs(options.settings);
  const exchanges = { attempted: 0, accepted: 0 };
  const hopping = options.settings.driver === "hopping" ? options.settings.hopping : undefined;
  const pool = hopping?.pool;
  const population = { crossovers: 0, perturbed: 0 };
  let stopReason: StopReason = "budget";
  let error: unknown;
  const candidates: ArchiveEntry[] = [];
  try {
    // Every replica uses weight vector 0; setWeights must come before initialize.
    if (learned !== undefined) batch.setWeights(Float32Array.from(learned.weights));
    if (resume !== undefined) batch.restoreState(resume.batch);
    else {
      const seed = streamSeed(options.seed);
      const starts = options.starts ?? randomStructures(system, options.seed, replicas);
      batch.initialize(starts, (r) => ({
        step: sweepValue(sweeps.step, r, replicas),
        dr: sweepValue(sweeps.dr, r, replicas),
        temperature: rungs > 1
          ? ladderTemperature(sweeps.temperature, r, rungs)
          : sweepValue(sweeps.temperature, r, replicas),
        seed,
        weights: 0,
      }));
    }
    const t0 = performance.now() - 1000 * (resume?.seconds ?? 0);
    const seconds = () => (performance.now() - t0) / 1000;
    const stateEvery = context.stateSeconds ?? DEFAULT_STATE_SECONDS;
    let saved = seconds();
    // The last sync's replicas, whose stale chains the pool reseeds before the next round; a
    // resumed run reads them again.
    let stale = resume !== undefined && pool !== undefined
      ? (await batch.sync()).replicas
      : undefined;
    for (let limit = resume?.batch.limit ?? 1; limit < options.maxEvaluations;) {
      if (stale !== undefined && pool !== undefined) {
        const { staleHops, dr, status } = stale;
        const round = poolRound(
          pool,
          hopping?.reseedHops ?? 0,
          record.archive.entries(pool.size),
          { staleHops, dr, running: (r) => status[r] === "running" },
          system.species,
          populationRng(options.seed, record.trace.length - 1),
        );
        batch.place(round.placements);
        population.crossovers += round.crossovers;
        population.perturbed += round.perturbed;
      }
      limit = Math.min(limit + options.syncEvery, options.maxEvaluations);
      const sync = await advance(batch, limit, options.maxEvaluations);
      const progress = record.add(sync, seconds());
      context.onProgress?.(progress);
      if (rungs > 1) {
        // The sync's index: the trace has one point per sync, resumed ones included.
        const index = record.trace.length - 1;
        const { temperature, dr, markovEnergy } = sync.replicas;
        const round = exchangeRound(
          temperature,
          markovEnergy,
          rungs,
          index,
          exchangeRng(options.seed, index),
        );
        exchanges.attempted += round.attempted;
        exchanges.accepted += round.swaps.length;
        for (const [a, b] of round.swaps) {
          batch.setHopParameters(a, temperature[b], dr[b]);
          batch.setHopParameters(b, temperature[a], dr[a]);
        }
      }
      // The pool's reseeds of this sync wait for the next round (below), so that a run stopped
      // here (and its saved state) has no evaluation queued that its counts miss.
      if (pool !== undefined) stale = sync.replicas;
      const reason = record.stopReason(context.signal);
      if (reason !== undefined) {
        stopReason = reason;
        break;
      }
      if (context.saveState !== undefined && seconds() - saved >= stateEvery) {
        await context.saveState(await record.state(batch, seconds(), null));
        saved = seconds();
      }
    }
    if (context.saveState !== undefined) {
      await context.saveState(await record.state(batch, seconds(), stopReason));
    }
    candidates.push(...await record.unloggedBests(batch));
  } catch (thrown) {
    if (record.snapshot === undefined) throw thrown;
    stopReason = "failed";
    error = thrown;
  } finally {
    batch.destroy();
  }
  candidates.push(...record.archive.entries());
  const reported = reportMinima(system, candidates, {
    keep: options.keep,
    maxExamined: REPORT_EXAMINED_PER_KEPT * options.keep,
    energyTolerance: record.tolerance,
    searchFmax: driverFmax(batch.spec.driver),
  });
  const last = record.snapshot;
  return {
    options,
    adapter: context.gpu.adapterName,
    layout: context.gpu.layout,
    stopReason,
    error,
    evaluationsPerReplica: last ? extreme(last.evaluations, Math.max) : 1,
    totalEvaluations: last ? sum(last.evaluations) : replicas,
    wallSeconds: (performance.now() - started) / 1000,
    trace: record.trace,
    known: record.goals.known,
    target: record.goals.target,
    reference: record.goals.reference,
    distinctMinima: record.archive.size,
    archiveCapacity: record.archive.capacity,
    minima: reported.minima,
    candidatesExamined: reported.examined,
    refinementEvaluations: reported.evaluations,
    replicaStatus: statusCounts(last?.status ?? Array(replicas).fill("running")),
    exchanges: rungs > 1 ? exchanges : null,
    reseeds: (hopping?.reseedHops ?? 0) > 0 ? (last ? sum(last.reseeds) : 0) : null,
    tabooHits: hopping?.taboo === true ? (last ? sum(last.tabooHits) : 0) : null,
    population: pool !== undefined ? population : null,
    rejectedNonfinite: {
      points: last ? sum(last.rejectedNonfinite) : 0,
      replicas: last ? last.rejectedNonfinite.filter((count) => count > 0).length : 0,
    },
    replicaBestEnergies: last
      ? replicaBests(last.bestEnergy)
      : new Float32Array(replicas).fill(Infinity),
    replicaFirstHits: record.knownFirstHits(),
  };
}

/** Rounds queue dispatches without waiting for stragglers; the last makes sure every running
 * replica spends the whole budget. */
function advance(batch: OptimizerBatch, limit: number, maxEvaluations: number) {
  if (limit === maxEvaluations) return batch.advanceTo(limit);
  batch.advance(limit);
  return batch.sync();
}

/** What a search has found so far: the archive, the goals, the trace, the last snapshot. */
class SearchRecord {
  readonly options: SearchOptions;
  readonly tolerance: number;
  readonly archive: MinimaArchive;
  readonly goals: {
    known?: KnownMinimum & GoalStatus;
    target?: GoalStatus;
    reference?: GoalStatus;
  };
  readonly trace: TracePoint[] = [];
  snapshot: ReplicaSnapshot | undefined;
  /** Each replica's lowest logged energy, to tell which replica bests were never logged. */
  #lowestLogged: Float64Array;
  /** Per goal, the evaluations at which each replica first got there (Infinity: not yet). */
  #firstHits = new Map<GoalStatus, Float64Array>();

  /** A new record, or the one saved in `resume`. */
  constructor(options: SearchOptions, resume?: SearchState) {
    const { system } = options;
    this.options = options;
    this.tolerance = energyTolerance(system);
    const archiveOptions = {
      capacity: archiveCapacity(system, options.keep),
      energyTolerance: this.tolerance,
    };
    this.archive = resume === undefined
      ? new MinimaArchive(archiveOptions)
      : MinimaArchive.restore(archiveOptions, resume.archive, system.box);
    const known = knownGoal(system);
    const goal = (energy: number | undefined) =>
      energy === undefined ? undefined : openGoal(energy, this.tolerance);
    this.goals = {
      known: known && { ...known, ...openGoal(known.energy, this.tolerance) },
      target: goal(options.target),
      reference: goal(options.reference),
    };
    this.#lowestLogged = new Float64Array(options.replicas).fill(Infinity);
    if (resume === undefined) return;
    this.trace.push(...resume.trace);
    this.#lowestLogged.set(resume.lowestLogged);
    for (const name of GOAL_NAMES) {
      const saved = resume.goals[name];
      const goal = this.goals[name];
      if (saved === undefined || goal === undefined) continue;
      Object.assign(goal, saved.status);
      this.#firstHits.set(goal, Float64Array.from(saved.firstHits));
    }
  }

  /** Everything needed to continue the search after the last sync (see search_state.ts). */
  async state(
    batch: OptimizerBatch,
    seconds: number,
    stopped: StopReason | null,
  ): Promise<SearchState> {
    const goals: SearchState["goals"] = {};
    for (const name of GOAL_NAMES) {
      const goal = this.goals[name];
      if (goal === undefined) continue;
      goals[name as GoalName] = {
        status: { ...goal },
        firstHits: this.#firstHits.get(goal)?.slice() ??
          new Float64Array(this.options.replicas).fill(Infinity),
      };
    }
    return {
      options: savedOptions(this.options),
      stopped,
      seconds,
      trace: this.trace.slice(),
      goals,
      lowestLogged: this.#lowestLogged.slice(),
      archive: this.archive.entries(),
      batch: await batch.readState(),
      layout: batch.kernel.layout,
      weights: this.options.learned && Float32Array.from(this.options.learned.weights),
    };
  }

  /** Takes in one sync, `seconds` after the replicas started: its minima go into the archive, the
   * goals are updated and a trace point is added. */
  add(sync: SyncResult, seconds: number): SearchProgress {
    const { system } = this.options;
    this.snapshot = sync.replicas;
    sync.minima.forEach((found, replica) => {
      for (const m of found) {
        this.archive.add({ ...m, species: system.species, box: system.box, replica });
        this.#lowestLogged[replica] = Math.min(this.#lowestLogged[replica], m.energy);
      }
    });
    for (const goal of [this.goals.known, this.goals.target, this.goals.reference]) {
      if (goal === undefined) continue;
      if (!this.#firstHits.has(goal)) {
        this.#firstHits.set(goal, new Float64Array(this.options.replicas).fill(Infinity));
      }
      updateGoal(goal, sync.replicas, sync.minima, this.#firstHits.get(goal)!);
    }
    const best = extreme(sync.replicas.bestEnergy, Math.min);
    const hits = this.knownFirstHits();
    const point = {
      evaluations: extreme(sync.replicas.evaluations, Math.max),
      // The kernel's stand-in for +infinity, as read back in f32.
      bestEnergy: best < Math.fround(NO_ENERGY) ? best : null,
      replicaBest: replicaQuantiles(replicaBests(sync.replicas.bestEnergy)),
      knownReachedFraction: hits && hits.filter(Number.isFinite).length / hits.length,
      distinctMinima: this.archive.size,
      seconds,
    };
    this.trace.push(point);
    return this.#progress(point);
  }

  /** Per replica, the evaluations at which it first reached the known minimum (Infinity: not
   * yet); null without a known minimum. A copy. */
  knownFirstHits(): Float64Array | null {
    const { known } = this.goals;
    if (known === undefined) return null;
    return this.#firstHits.get(known)?.slice() ??
      new Float64Array(this.options.replicas).fill(Infinity);
  }

  #progress(point: TracePoint): SearchProgress {
    const { maxEvaluations } = this.options;
    const totalEvaluations = sum(this.snapshot!.evaluations);
    const perReplicaRate = point.evaluations / point.seconds;
    return {
      ...point,
      archiveCapacity: this.archive.capacity,
      maxEvaluations,
      totalEvaluations,
      rate: totalEvaluations / point.seconds,
      etaSeconds: (maxEvaluations - point.evaluations) / perReplicaRate,
    };
  }

  stopReason(signal: AbortSignal | undefined): StopReason | undefined {
    if (this.goals.target?.reached) return "target";
    if (this.options.stopAtKnown && this.goals.known?.reached) return "known";
    if (this.snapshot!.status.every((status) => status !== "running")) return "all-stopped";
    if (signal?.aborted) return "interrupted";
    return undefined;
  }

  /**
   * The lowest points of the replicas whose best energy lies more than the tolerance below every
   * minimum they logged (at most `keep`, lowest first): mostly relaxations still under way when
   * the run stopped, reported as they are unless the search had brought them below its force
   * tolerance (refine.ts). Each counts as found once.
   */
  async unloggedBests(batch: OptimizerBatch): Promise<ArchiveEntry[]> {
    if (this.snapshot === undefined) return [];
    const { bestEnergy, bestEvaluations } = this.snapshot;
    // A replica that never had a finite energy (NO_ENERGY) has no point to report.
    const unlogged = Array.from(bestEnergy.keys())
      .filter((r) => bestEnergy[r] < Math.fround(NO_ENERGY))
      .filter((r) => bestEnergy[r] < this.#lowestLogged[r] - this.tolerance)
      .sort((a, b) => bestEnergy[a] - bestEnergy[b])
      .slice(0, this.options.keep);
    if (unlogged.length === 0) return [];
    const positions = await batch.readBestPositions();
    const size = 3 * this.options.system.nAtoms;
    return unlogged.map((r) => ({
      energy: bestEnergy[r],
      positions: Float64Array.from(positions.subarray(r * size, (r + 1) * size)),
      species: this.options.system.species,
      count: 1,
      firstEvaluations: bestEvaluations[r],
      replica: r,
    }));
  }
}

function openGoal(energy: number, tolerance: number): GoalStatus {
  return {
    energy,
    tolerance,
    reached: false,
    evaluationsPerReplica: null,
    replicasReached: 0,
    medianReplicaEvaluations: null,
  };
}

/**
 * Records, per replica, the first sync at which its best energy or a minimum it logged since the
 * last sync is within the goal's tolerance, and sums them up in the goal. The cost is the fewest
 * evaluations among them: a replica's bestEvaluations moves on when it later revisits the minimum
 * at a lower f32 energy, so it is exact only at the sync where the replica first gets there, and
 * the logged minima (which keep the evaluation count at which each was found) can only lower it.
 */
function updateGoal(
  goal: GoalStatus,
  replicas: ReplicaSnapshot,
  minima: LoggedMinimum[][],
  firstHits: Float64Array,
) {
  const threshold = goal.energy + goal.tolerance;
  replicas.bestEnergy.forEach((energy, r) => {
    if (firstHits[r] < Infinity) return;
    let first = energy <= threshold ? replicas.bestEvaluations[r] : Infinity;
    for (const m of minima[r]) if (m.energy <= threshold) first = Math.min(first, m.evaluations);
    firstHits[r] = first;
  });
  const hits = Array.from(firstHits).filter(Number.isFinite).sort((a, b) => a - b);
  if (hits.length === 0) return;
  goal.reached = true;
  goal.evaluationsPerReplica = hits[0];
  goal.replicasReached = hits.length;
  const middle = hits.length >> 1;
  goal.medianReplicaEvaluations = hits.length % 2
    ? hits[middle]
    : (hits[middle - 1] + hits[middle]) / 2;
}

function statusCounts(status: ReplicaStatus[]): Record<ReplicaStatus, number> {
  const counts = Object.fromEntries(STATUS_NAMES.map((name) => [name, 0])) as Record<
    ReplicaStatus,
    number
  >;
  for (const s of status) counts[s]++;
  return counts;
}

/** The replicas' best energies with the kernel's stand-in for "none yet" made +Infinity. */
function replicaBests(bestEnergy: Float32Array): Float32Array {
  return bestEnergy.map((e) => e < Math.fround(NO_ENERGY) ? e : Infinity);
}

/** Quantiles of the replicas' best energies; null while none is finite. */
function replicaQuantiles(bests: Float32Array): ReplicaQuantiles | null {
  const sorted = bests.slice().sort();
  if (!Number.isFinite(sorted[0])) return null;
  return {
    min: sorted[0],
    q10: quantile(sorted, 0.1),
    q50: quantile(sorted, 0.5),
    q90: quantile(sorted, 0.9),
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
