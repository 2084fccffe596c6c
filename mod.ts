/**
 * learn2hop: learned optimizers for low-energy atomic structures, on WebGPU.
 *
 * @example
 * ```ts
 * import { EnergyBatch, Gpu, parseSystem, randomStructures } from "./mod.ts";
 * const system = parseSystem("LJ38");
 * const gpu = await Gpu.open();
 * const batch = await EnergyBatch.create(gpu, system, 1024);
 * batch.writePositions(randomStructures(system, 1, 1024));
 * batch.evaluate();
 * const energies = await batch.readEnergies();
 * ```
 * @module
 */
export { UserError } from "./src/errors.ts";
export { Gpu, GpuError, type GpuOptions } from "./src/gpu/device.ts";
export { EnergyBatch } from "./src/gpu/energy_batch.ts";
export { SW_MAX_NEIGHBOURS } from "./src/gpu/potential_layout.ts";
export {
  DEFAULT_GUPTA_SET,
  gupta,
  GUPTA_SETS,
  guptaElements,
  type GuptaPair,
  type GuptaParams,
  guptaParams,
} from "./src/potentials/gupta.ts";
export {
  lennardJones,
  type LennardJonesParams,
  REDUCED_UNITS,
} from "./src/potentials/lennard_jones.ts";
export {
  POTENTIAL_KINDS,
  potentialCutoff,
  type PotentialKind,
  type PotentialSpec,
  referencePotential,
} from "./src/potentials/potential.ts";
export {
  type Displacement,
  displacementFor,
  freeDisplacement,
  periodicDisplacement,
} from "./src/potentials/space.ts";
export {
  SILICON,
  stillingerWeber,
  stillingerWeberCutoff,
  type StillingerWeberParams,
} from "./src/potentials/stillinger_weber.ts";
export type { EnergyForces, EnergyForcesFn, Structure } from "./src/potentials/types.ts";
export {
  type KnownMinimum,
  type KnownMinimumKind,
  LENNARD_JONES_GLOBAL_MINIMA,
} from "./src/systems/known_minima.ts";
export {
  clusterRadius,
  MIN_DISTANCE_FACTOR,
  randomStructure,
  randomStructures,
} from "./src/systems/random_structures.ts";
export { Rng } from "./src/systems/rng.ts";
export { diamondBox, MAX_ATOMS, parseSystem, type System } from "./src/systems/system.ts";
export { formatXyz, parseXyz, type XyzFrame } from "./src/io/xyz.ts";
export { systemForStructure } from "./src/systems/from_structure.ts";
export {
  type AddResult,
  type ArchiveEntry,
  type ArchiveOptions,
  DEFAULT_ENERGY_TOLERANCE,
  type FoundMinimum,
  MinimaArchive,
} from "./src/search/archive.ts";
export {
  DEFAULT_FINGERPRINT_TOLERANCE,
  fingerprintDistance,
  structureFingerprint,
} from "./src/search/fingerprint.ts";
export {
  DEFAULT_LOG_CAPACITY,
  OptimizerBatch,
  type OptimizerBatchOptions,
  type ReplicaSnapshot,
  type SyncResult,
} from "./src/gpu/optimizer_batch.ts";
export {
  type LoggedMinimum,
  ReferenceReplica,
  type ReplicaContext,
  type ReplicaStatus,
} from "./src/optimizers/reference_replica.ts";
export {
  ADAM,
  type AdamConstants,
  DEFAULT_SETTINGS,
  type FireConstants,
  JAX_MD_FIRE,
  type Method,
  METHODS,
  type OptimizerSettings,
  type ReplicaHyperparameters,
} from "./src/optimizers/settings.ts";
export {
  DEFAULT_ADAPT_INTERVAL,
  DEFAULT_MAX_STEP,
  DEFAULT_STEP,
  DEFAULT_SWAP_PROBABILITY,
  DEFAULT_TEMPERATURE,
  defaultSettings,
  defaultSweeps,
  DR_PER_BOND_LENGTH,
  type HyperparameterSweeps,
  LEARNED_ENERGY_SCALE,
  type Sweep,
  sweepValue,
} from "./src/search/defaults.ts";
export {
  REFINE_DT,
  REFINE_FMAX,
  REFINE_MAX_EVALUATIONS,
  REFINE_MAX_STEP,
  type Refinement,
  refineMinima,
  refineStructure,
  type ReportedMinimum,
} from "./src/search/refine.ts";
export {
  ARCHIVE_CAPACITY,
  archiveCapacity,
  DEFAULT_KEEP,
  DEFAULT_MAX_EVALUATIONS,
  DEFAULT_REPLICAS,
  DEFAULT_SYNC_EVERY,
  energyTolerance,
  type GoalStatus,
  knownGoal,
  type LearnedOptimizer,
  loadLearnedOptimizer,
  type ReplicaQuantiles,
  runSearch,
  type SearchContext,
  type SearchOptions,
  searchOptions,
  type SearchProgress,
  type SearchResult,
  type StopReason,
  streamSeed,
  type TracePoint,
} from "./src/search/run_search.ts";
export {
  defaultOutputDir,
  minimaFrames,
  OUTPUT_FILES,
  type SearchSummary,
  searchSummary,
  type SearchTrace,
  searchTrace,
  type SummaryMinimum,
  writeSearchOutputs,
} from "./src/search/outputs.ts";
export {
  ARCHITECTURE,
  biasIndex,
  initialTheta,
  LAYER_SIZES,
  mlpForward,
  OUTPUT,
  PARAMETER_COUNT,
  weightIndex,
} from "./src/learned/architecture.ts";
export {
  atomFeatures,
  atomStep,
  FEATURE_NAMES,
  MOMENTUM_DECAYS,
  NOISE_BIAS,
  type ReplicaSummary,
  STEP_SCALE,
} from "./src/learned/features.ts";
export {
  type EsGradient,
  esGradient,
  type EsGradientOptions,
  esNoise,
  type PopulationLosses,
  populationThetas,
} from "./src/learned/es.ts";
export {
  globalNorm,
  OUTER_ADAM,
  type OuterMethod,
  OuterOptimizer,
  type OuterOptimizerOptions,
  type OuterOptimizerState,
} from "./src/learned/outer_optimizer.ts";
export {
  type ConstantSchedule,
  type DecaySchedule,
  parseSchedule,
  SCHEDULE_KINDS,
  type ScheduleConfig,
  scheduleValue,
} from "./src/learned/schedule.ts";
export {
  CheckpointError,
  decodeSafetensors,
  encodeSafetensors,
  type Safetensors,
  type SafetensorsDtype,
  type Tensor,
  type TensorData,
} from "./src/learned/safetensors.ts";
export {
  type Architecture,
  type Checkpoint,
  CHECKPOINT_FORMAT,
  CHECKPOINT_FORMAT_VERSION,
  decodeCheckpoint,
  describeArchitecture,
  encodeCheckpoint,
  type ExpectedModel,
  loadCheckpoint,
  saveCheckpoint,
} from "./src/learned/checkpoint.ts";
export {
  type ChartOptions,
  escapeXml,
  lineChart,
  logTicks,
  niceTicks,
  PALETTE,
  type Series,
  tickLabels,
} from "./src/eval/svg_plot.ts";
export {
  basinChangeRate,
  histogram,
  type HoppingOptions,
  type HoppingTrajectory,
  hoppingTrajectory,
  logEdges,
  quench,
} from "./src/eval/hopping.ts";
export { type Suite, SUITE_NAMES, suiteByName, SUITES } from "./src/eval/suites.ts";
export {
  type EvalOptions,
  type EvalReport,
  runEvaluation,
  type SystemEvaluation,
} from "./src/eval/run_eval.ts";
export { writeEvalOutputs } from "./src/eval/report.ts";
export { type HoppingReport, hoppingReport } from "./src/eval/hopping_report.ts";
