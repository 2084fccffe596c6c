/**
 * learn2hop: learned optimizers for low-energy atomic structures, on WebGPU. The library a user
 * scripts against: systems and their potentials, the GPU batches, searches, meta-training,
 * evaluation and checkpoints. Internals (kernel layouts, dispatch planning, moves' mirrors) are
 * imported from their files under src/ (docs/ARCHITECTURE.md).
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

// Systems: names such as LJ38, Ag27Au28, Si64, M38; structures from files; random starts.
export { MAX_ATOMS, parseSystem, type System } from "./src/systems/system.ts";
export { systemForStructure } from "./src/systems/from_structure.ts";
export { randomStructure, randomStructures } from "./src/systems/random_structures.ts";
export { energyTolerance } from "./src/systems/energy_tolerance.ts";
export { type KnownMinimum, type KnownMinimumKind } from "./src/potentials/known_minima.ts";
export { formatXyz, parseXyz, type XyzFrame } from "./src/io/xyz.ts";

// Potentials: the registry, and each potential's f64 reference energy and forces.
export {
  POTENTIAL_KINDS,
  potentialCutoff,
  potentialEntry,
  type PotentialKind,
  POTENTIALS,
  type PotentialSpec,
  referencePotential,
} from "./src/potentials/registry.ts";
export type { PotentialEntry, Units } from "./src/potentials/potential.ts";
export type { EnergyForces, EnergyForcesFn, Structure } from "./src/potentials/types.ts";
export { pairPotential, type PairTerm } from "./src/potentials/pair_potential.ts";
export { lennardJones, type LennardJonesParams } from "./src/potentials/lennard_jones.ts";
export { gupta, type GuptaParams, guptaParams } from "./src/potentials/gupta.ts";
export {
  diamondBox,
  SILICON,
  stillingerWeber,
  type StillingerWeberParams,
} from "./src/potentials/stillinger_weber.ts";
export { ASE_MORSE, morse, type MorseParams } from "./src/potentials/morse.ts";

// The GPU: the device, the energy kernel, the fused optimizer kernel and its f64 mirror.
export { Gpu, GpuError, type GpuOptions } from "./src/gpu/device.ts";
export { THREAD_LAYOUTS, type ThreadLayout } from "./src/gpu/thread_layout.ts";
export { EnergyBatch, type EnergyBatchOptions } from "./src/gpu/energy_batch.ts";
export { OptimizerBatch, type OptimizerBatchOptions } from "./src/methods/optimizer_batch.ts";
export { referenceContext, ReferenceReplica } from "./src/methods/reference_replica.ts";
export type { MethodSpec, ReplicaHyperparameters } from "./src/methods/method_spec.ts";
export {
  defaultLocalSettings,
  LOCAL_METHOD_NAMES,
  LOCAL_METHODS,
  localMethod,
  type LocalMethodName,
  type LocalSettings,
} from "./src/methods/registry.ts";

// Searches.
export {
  defaultSettings,
  type Method,
  type MethodSettings,
  methodSpec,
} from "./src/search/defaults.ts";
export {
  runSearch,
  type SearchOptions,
  searchOptions,
  type SearchResult,
} from "./src/search/run_search.ts";
export { writeSearchOutputs } from "./src/search/outputs.ts";

// Meta-training, checkpoints and learned optimizers.
export { parseTrainConfig, type TrainConfig } from "./src/learned/train_config.ts";
export { MetaTrainer } from "./src/learned/meta_train.ts";
export { LocalTrainingWork } from "./src/learned/training_work.ts";
export { ARCHITECTURES, type LearnedArchitecture } from "./src/learned/architectures.ts";
export { type Checkpoint, loadCheckpoint, saveCheckpoint } from "./src/learned/checkpoint.ts";
export { LearnedOptimizer, loadLearnedOptimizer } from "./src/learned/learned_optimizer.ts";

// Evaluation at equal cost.
export { type EvalOptions, loadEvalCheckpoint, runEvaluation } from "./src/eval/run_eval.ts";
