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
export { UserError } from "./src/core/errors.ts";
export { Gpu, GpuError, type GpuOptions } from "./src/gpu/device.ts";
export {
  EnergyBatch,
  type EnergyBatchOptions,
  energyWorkgroupBytes,
  energyWorkgroupShape,
} from "./src/gpu/energy_batch.ts";

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
  potentialEntry,
  type PotentialKind,
  POTENTIALS,
  type PotentialSpec,
  referencePotential,
} from "./src/potentials/registry.ts";
export {
  type Displacement,
  displacementFor,
  freeDisplacement,
  periodicDisplacement,
} from "./src/potentials/space.ts";
export { ASE_MORSE, morse, type MorseParams } from "./src/potentials/morse.ts";
export { pairPotential, type PairTerm } from "./src/potentials/pair_potential.ts";
export type { PotentialEntry, Units } from "./src/potentials/potential.ts";
export {
  diamondBox,
  SILICON,
  stillingerWeber,
  stillingerWeberCutoff,
  type StillingerWeberParams,
  SW_MAX_NEIGHBOURS,
} from "./src/potentials/stillinger_weber.ts";
export type { EnergyForces, EnergyForcesFn, Structure } from "./src/potentials/types.ts";
export {
  type KnownMinimum,
  type KnownMinimumKind,
  LENNARD_JONES_GLOBAL_MINIMA,
  POOLED,
  type PooledMinimum,
  trainingReference,
} from "./src/potentials/known_minima.ts";
export {
  clusterRadius,
  MIN_DISTANCE_FACTOR,
  randomStructure,
  randomStructures,
} from "./src/systems/random_structures.ts";
export { Rng } from "./src/core/rng.ts";
export { MAX_ATOMS, parseSystem, type System } from "./src/systems/system.ts";
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
export { NO_ENERGY, type ReplicaStatus, STATUS_CODES } from "./src/core/codes.ts";
export {
  checkSpec,
  DEFAULT_LOG_CAPACITY,
  kernelShape,
  OptimizerBatch,
  type OptimizerBatchOptions,
  type ReplicaSnapshot,
  type SyncResult,
} from "./src/methods/optimizer_batch.ts";
export {
  type HopEvent,
  type HopMove,
  type LoggedMinimum,
  referenceContext,
  ReferenceReplica,
  type ReplicaContext,
} from "./src/methods/reference_replica.ts";
export type { LocalMethod, LocalMirror, MirrorReplica } from "./src/methods/local_method.ts";
export {
  DEFAULT_MAX_STEP,
  defaultLocalSettings,
  LOCAL_METHOD_NAMES,
  localMethod,
  type LocalMethodName,
  type LocalSettings,
} from "./src/methods/registry.ts";
export { ADAM, type AdamConstants } from "./src/methods/adam.ts";
export { type FireConstants, JAX_MD_FIRE } from "./src/methods/fire.ts";
export {
  anneal,
  ANNEAL_SHARE,
  type AnnealConstants,
  annealTemperature,
} from "./src/methods/anneal.ts";
export { LBFGS, type LbfgsConstants, MAX_LBFGS_HISTORY } from "./src/methods/lbfgs.ts";
export {
  type Driver,
  type HoppingSettings,
  type MethodSpec,
  MOVE_NAMES,
  type MoveName,
  moveProbabilities,
  type MoveWeights,
  type ReplicaHyperparameters,
} from "./src/methods/method_spec.ts";
export { type DispatchPlan, planDispatch } from "./src/methods/dispatch_plan.ts";
export type { KernelShape } from "./src/methods/kernel_source.ts";
export {
  defaultLayout,
  dispatchGrid,
  LANE_WORKGROUP_SIZE,
  parseLayout,
  THREAD_LAYOUTS,
  type ThreadLayout,
  type WorkgroupShape,
  workgroupShape,
} from "./src/gpu/thread_layout.ts";
export { LOOP_BUDGET, loopBudget } from "./src/gpu/loop_budget.ts";
export {
  DEFAULT_ADAPT_INTERVAL,
  DEFAULT_FMAX,
  DEFAULT_HOP_FMAX,
  DEFAULT_HOP_LOCAL,
  DEFAULT_STEP,
  defaultHopping,
  defaultMoves,
  defaultSettings,
  defaultSweeps,
  DR_PER_BOND_LENGTH,
  type HyperparameterSweeps,
  type Method,
  METHODS,
  type MethodSettings,
  methodSpec,
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
export { type LearnedStepSettings, perAtomMlp } from "./src/learned/per_atom_mlp.ts";
export {
  FIRE_RESIDUAL_ARCHITECTURE,
  FIRE_RESIDUAL_FEATURES,
  fireResidual,
  type FireResidualSettings,
  fireResidualSpec,
  initialFireResidualTheta,
  KICK_SCALE,
} from "./src/learned/fire_residual.ts";
export {
  ARCHITECTURES,
  DEFAULT_ARCHITECTURE,
  type LearnedArchitecture,
} from "./src/learned/architectures.ts";
export {
  architectureOf,
  LEARNED_ENERGY_SCALE,
  LearnedOptimizer,
  loadLearnedOptimizer,
} from "./src/learned/learned_optimizer.ts";
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
export { EVAL_METHODS, type EvalMethod } from "./src/eval/eval_methods.ts";
export { hopDecisions, type HopDecisionSummary } from "./src/eval/hop_decisions.ts";
