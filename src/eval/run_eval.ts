/**
 * An evaluation at equal cost: every method searches every system with the same replicas, the
 * same seed (hence the same starting structures, `randomStructures(system, seed, replicas)`, and
 * the same random streams) and the same budget of evaluations per replica; basin hopping first
 * gets its hop size and temperature tuned on the learned optimizer's training systems
 * (tuning.ts). Each search is summarised by its metrics (metrics.ts) against the system's
 * reference energy, and the learned optimizer is compared with the best baseline per system
 * (verdict.ts). Writing files is separate (report.ts).
 */
import type { Units } from "../potentials/potential.ts";
import { potentialUnits } from "../potentials/registry.ts";
import { UserError } from "../core/errors.ts";
import { configField, loadCheckpoint } from "../learned/checkpoint.ts";
import { LearnedOptimizer, learnedOptimizerOf } from "../learned/learned_optimizer.ts";
import { checkCovers } from "../learned/coverage.ts";
import { defaultLocalSettings } from "../methods/registry.ts";
import { parseTrainConfig } from "../learned/train_config.ts";
import { CHECKPOINT_METHODS, type EvalMethod, isHandDesigned } from "./eval_methods.ts";
import { type SearchSummary, searchSummary } from "../search/outputs.ts";
import type { SearchRunner } from "./search_runner.ts";
import {
  energyTolerance,
  type SearchOptions,
  searchOptions,
  type SearchResult,
  type TracePoint,
} from "../search/run_search.ts";
import { parseSystem, type System } from "../systems/system.ts";
import { type MethodMetrics, methodMetrics, type Reference, systemReference } from "./metrics.ts";
import type { BootstrapOptions } from "../core/statistics.ts";
import {
  bhSettings,
  bhSweeps,
  type BhTuning,
  describeChoice,
  tuneBasinHopping,
  type TuningOptions,
} from "./tuning.ts";
import {
  compareLearned,
  type Comparison,
  criterionFor,
  methodSample,
  type SuiteVerdict,
  suiteVerdict,
} from "./verdict.ts";

/** The methods compared by default: the learned optimizer, its untrained start, tuned basin
 * hopping, FIRE-based basin hopping and random restarts. */
export const DEFAULT_EVAL_METHODS: readonly EvalMethod[] = [
  "learned",
  "untrained",
  "bh",
  "fire-bh",
  "random",
];

export interface EvalOptions {
  /** A label for the report (the suite's name). */
  suite: string;
  systems: string[];
  /** Distinct methods, in the order of the report's tables. */
  methods: EvalMethod[];
  replicas: number;
  /** Evaluations per replica, the same for every method. */
  maxEvaluations: number;
  seed: number;
  /** Required with learned and untrained: the weights and where they came from. */
  learned?: Omit<EvalCheckpoint, "trainingSystems">;
  /** Required with bh: the grid and budget it is tuned with, and on which systems. */
  tuning?: TuningOptions;
  /** A system's starts (replicas x 3 N values) in place of the seeded random ones; undefined
   * keeps the random ones. Every method gets the same. */
  starts?: (system: System) => Float64Array | undefined;
  /** Bootstrap resamples per interval. */
  resamples: number;
}

export interface EvalContext {
  /** Where the searches run (search_runner.ts). */
  searches: SearchRunner;
  /** One line per finished search or tuning step (progress). */
  log?: (line: string) => void;
}

/** One method on one system: its metrics, its search's summary and trace, its replicas. */
export interface MethodEvaluation extends MethodMetrics {
  search: SearchSummary;
  trace: TracePoint[];
  /** Each replica's best energy (f32; +Infinity, written null, where none was finite). */
  replicaBestEnergies: number[];
  /** Each replica's evaluations to the known minimum (Infinity, written null: never); null
   * without a known minimum. */
  replicaFirstHits: number[] | null;
}

export interface SystemEvaluation {
  system: string;
  nAtoms: number;
  /** Units of every energy and length of this system's results. */
  units: Units;
  reference: Reference;
  /** Energies within this of the reference count as reaching it (`energyTolerance`). */
  tolerance: number;
  methods: MethodEvaluation[];
  /** The learned optimizer against the best hand-designed baseline; null unless both were
   * run. */
  comparison: Comparison | null;
  /** The learned optimizer against its untrained start; null unless both were run. */
  learning: Comparison | null;
}

/** The report repeats the settings it ran with (EvalOptions' plain fields). */
export interface EvalReport extends
  Pick<
    EvalOptions,
    "suite" | "systems" | "methods" | "replicas" | "maxEvaluations" | "seed" | "resamples"
  > {
  checkpoint: string | null;
  adapter: string;
  /** The kernels' thread layout (src/gpu/thread_layout.ts). */
  layout: string;
  /** Basin hopping's tuning; null when bh was not compared. */
  tuning: BhTuning | null;
  results: SystemEvaluation[];
  /** The suite's verdict from the systems' comparisons; null without any. */
  verdict: SuiteVerdict | null;
  /** The same for learned against untrained: whether training helped. */
  learningVerdict: SuiteVerdict | null;
  wallSeconds: number;
}

/** The report and, aligned with its results, every search (for their structures). */
export interface EvalOutcome {
  report: EvalReport;
  searches: SearchResult[][];
}

/** Trace points per search (syncs), enough for smooth curves of best energy and success rate
 * against evaluations; each sync costs one readback (about 11 ms on llvmpipe). */
export const EVAL_TRACE_POINTS = 50;

/** What an evaluation takes from a checkpoint: the learned optimizer, the one its training
 * started from, and its training systems. */
export interface EvalCheckpoint {
  optimizer: LearnedOptimizer;
  /** The architecture at the initial weights of the checkpoint's config (seed, initScale). */
  untrained: LearnedOptimizer;
  checkpoint: string;
  /** The training config's systems, on which basin hopping is tuned. */
  trainingSystems: string[];
}

/** The training systems named by a checkpoint's config (`TrainConfig.systems`), or a UserError. */
export function trainingSystems(config: unknown, path: string): string[] {
  const systems = configField(config, "systems");
  if (
    !Array.isArray(systems) || systems.length === 0 || systems.some((s) => typeof s !== "string")
  ) {
    throw new UserError(`${path}: the checkpoint's config names no training systems`);
  }
  return systems;
}

/** Loads a checkpoint's learned optimizer (UserErrors as `loadLearnedOptimizer`), its untrained
 * start and its training systems. */
export async function loadEvalCheckpoint(path: string): Promise<EvalCheckpoint> {
  if (path === "") throw new UserError("the checkpoint's path is empty");
  const checkpoint = await loadCheckpoint(path);
  const optimizer = learnedOptimizerOf(checkpoint, path);
  const { config } = checkpoint;
  const systems = trainingSystems(config, path);
  const { seed, initScale } = parseTrainConfig(config, `${path}: the checkpoint's config`);
  const untrained = new LearnedOptimizer(
    optimizer.architecture,
    optimizer.architecture.initialTheta(seed, initScale),
    optimizer.maxStepBondLengths,
    optimizer.coverage,
  );
  return { optimizer, untrained, checkpoint: path, trainingSystems: systems };
}

/** Refuses an empty or repeated method list, methods whose inputs are missing, and a checkpoint
 * used on a system outside the families it was trained on. */
export function checkEvalOptions(options: EvalOptions): void {
  const { methods } = options;
  if (methods.length === 0) throw new UserError("no methods to compare");
  const repeated = methods.find((m, k) => methods.indexOf(m) !== k);
  if (repeated !== undefined) throw new UserError(`method '${repeated}' is listed twice`);
  const needsCheckpoint = methods.find((m) => CHECKPOINT_METHODS.includes(m));
  if (needsCheckpoint !== undefined && options.learned === undefined) {
    throw new UserError(`the ${needsCheckpoint} method needs a checkpoint`);
  }
  if (methods.includes("bh") && options.tuning === undefined) {
    throw new UserError("bh needs its tuning options (training systems, grid, budget)");
  }
  if (options.systems.length === 0) throw new UserError("no systems to evaluate");
  if (needsCheckpoint !== undefined) {
    for (const name of options.systems) {
      checkCovers(options.learned!.optimizer.coverage, parseSystem(name));
    }
  }
}

/** The search `method` runs on `system` in this evaluation. */
export function methodSearchOptions(
  system: System,
  method: EvalMethod,
  options: EvalOptions,
  tuning: BhTuning | null,
): SearchOptions {
  const searched = method === "untrained"
    ? "learned"
    : method === "fire-bh" || method === "default-bh"
    ? "bh"
    : method;
  const search = searchOptions(system, searched, {
    replicas: options.replicas,
    maxEvaluations: options.maxEvaluations,
    seed: options.seed,
    syncEvery: Math.ceil(options.maxEvaluations / EVAL_TRACE_POINTS),
    // Only the best structure is written; the archive still counts every distinct minimum.
    keep: 1,
    starts: options.starts?.(system),
  });
  if (method === "bh" && tuning !== null) {
    search.settings = bhSettings(system, tuning.chosen);
    search.sweeps = bhSweeps(system, tuning.chosen);
  }
  if (method === "fire-bh" && search.settings.driver === "hopping") {
    search.settings = {
      ...search.settings,
      local: defaultLocalSettings("fire", search.settings.local.maxStep),
    };
  }
  const { learned } = options;
  if (searched === "learned" && learned !== undefined) {
    // With the step cap it was trained with, as `deno task search` runs it.
    search.learned = method === "untrained" ? learned.untrained : learned.optimizer;
    search.checkpoint = learned.checkpoint;
  }
  return search;
}

/** Runs the evaluation (see above). */
export async function runEvaluation(
  options: EvalOptions,
  context: EvalContext,
): Promise<EvalOutcome> {
  const started = performance.now();
  checkEvalOptions(options);
  const systems = options.systems.map(parseSystem);
  const tuning = options.methods.includes("bh")
    ? await tuneBasinHopping(options.tuning!, context)
    : null;
  if (tuning !== null) {
    context.log?.(`bh tuned: ${describeChoice(tuning.chosen)}`);
  }
  const bootstrap = { seed: options.seed, resamples: options.resamples };
  const { methods } = options;
  const shards = systems.flatMap((system) =>
    methods.map((method) => methodSearchOptions(system, method, options, tuning))
  );
  const runs = await context.searches.runAll(
    shards,
    (k, result) => context.log?.(searchLine(methods[k % methods.length], result)),
  );
  const searches = systems.map((_, s) => runs.slice(s * methods.length, (s + 1) * methods.length));
  const results = systems.map((system, s) =>
    evaluateSystem(system, methods, searches[s], bootstrap)
  );
  const verdictOf = (comparisons: (Comparison | null)[]) => {
    const verdicts = comparisons.flatMap((c) => c === null ? [] : [c.verdict]);
    return verdicts.length === 0 ? null : suiteVerdict(verdicts);
  };
  return {
    report: {
      suite: options.suite,
      systems: options.systems,
      methods: options.methods,
      replicas: options.replicas,
      maxEvaluations: options.maxEvaluations,
      seed: options.seed,
      resamples: options.resamples,
      checkpoint: options.learned?.checkpoint ?? null,
      adapter: context.searches.adapter,
      layout: context.searches.layout,
      tuning,
      results,
      verdict: verdictOf(results.map((r) => r.comparison)),
      learningVerdict: verdictOf(results.map((r) => r.learning)),
      wallSeconds: (performance.now() - started) / 1000,
    },
    searches,
  };
}

/** Metrics of every method's search on one system (`runs[k]` ran `methods[k]`), the learned
 * optimizer against the best hand-designed baseline, and against its untrained start. */
export function evaluateSystem(
  system: System,
  methods: EvalMethod[],
  runs: SearchResult[],
  bootstrap: BootstrapOptions,
): SystemEvaluation {
  const reference = systemReference(system, runs);
  const tolerance = energyTolerance(system);
  const samples = runs.map((r, k) =>
    methodSample(methods[k], r.replicaBestEnergies, reference, tolerance, system.nAtoms)
  );
  const criterion = criterionFor(reference, samples);
  const margin = criterion === "median-gap-per-atom" ? tolerance / system.nAtoms : 0;
  const learned = samples.find((s) => s.method === "learned");
  const untrained = samples.find((s) => s.method === "untrained");
  const baselines = samples.filter((s) => isHandDesigned(s.method));
  return {
    system: system.name,
    nAtoms: system.nAtoms,
    units: potentialUnits(system.potential),
    reference,
    tolerance,
    methods: runs.map((result, k) => ({
      ...methodMetrics(methods[k], result, reference, bootstrap),
      search: searchSummary(result),
      trace: result.trace,
      replicaBestEnergies: Array.from(result.replicaBestEnergies),
      replicaFirstHits: result.replicaFirstHits && Array.from(result.replicaFirstHits),
    })),
    comparison: learned === undefined || baselines.length === 0
      ? null
      : compareLearned(criterion, learned, baselines, bootstrap, margin),
    learning: learned === undefined || untrained === undefined
      ? null
      : compareLearned(criterion, learned, [untrained], bootstrap, margin),
  };
}

/** A progress line for a finished search. */
function searchLine(method: EvalMethod, result: SearchResult): string {
  const { system, replicas } = result.options;
  const known = result.known === undefined
    ? ""
    : `, ${result.known.replicasReached}/${replicas} replicas at the ` +
      (result.known.kind === "pooled-best" ? "pooled reference" : "known minimum");
  const best = result.minima[0]?.energy.toFixed(6) ?? "-";
  return `${system.name} ${method}: best ${best}${known}, ${result.evaluationsPerReplica} ` +
    `evaluations per replica in ${result.wallSeconds.toFixed(1)} s`;
}
