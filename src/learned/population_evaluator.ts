/**
 * The GPU work of meta-training, as pure functions of their inputs: the meta-losses of a slice
 * of one outer step's ES population on one system, theta's meta-loss on the validation tasks, and
 * the hand-designed baseline's. Whatever runs them (this machine, or any worker of a distributed
 * run) gets the same bits for the same inputs on the same adapter and thread layout, because
 *
 * - member m's weights are a function of theta, the step's noise stream and sigma
 *   (`populationThetas`), whichever members a slice holds;
 * - replica (m, t) runs member m on task t from task t's start with task t's random stream, and
 *   every replica of a batch is computed apart from the others, so a slice's replicas give the
 *   bits they give in the whole population's batch.
 *
 * Meta-loss of a member on a system (meta_train.ts describes the whole step):
 * - gap: the mean over its tasks of (best energy - reference) / N, the reference being the
 *   system's known global minimum, else the best of a pooled search ten times longer
 *   (data/pooled_minima.json), else 0;
 * - success: the fraction of its tasks not yet within the tolerance (energyTolerance) of the
 *   known minimum, averaged over the budgets, plus gapWeight times the gap at the end: what eval
 *   measures (success at equal evaluations), with the gap to break ties among failures.
 * With the gap loss a replica that rejected a non-finite point (shaders/driver.wgsl) makes its
 * member's loss NaN, and ES drops that pair; with the success loss it counts with the best energy
 * it reached (it succeeded only if that was at the minimum), so a move that blows a replica apart
 * costs that replica's evaluations, not the whole pair.
 */
import type { Gpu } from "../gpu/device.ts";
import type { ThreadLayout } from "../gpu/thread_layout.ts";
import { fire, JAX_MD_FIRE } from "../methods/fire.ts";
import { restartHopping } from "../methods/method_spec.ts";
import type { ReplicaSnapshot } from "../methods/optimizer_batch.ts";
import { OptimizerBatch } from "../methods/optimizer_batch.ts";
import { randomStructures } from "../systems/random_structures.ts";
import { Rng } from "../core/rng.ts";
import { energyTolerance } from "../systems/energy_tolerance.ts";
import { trainingReference } from "../potentials/known_minima.ts";
import { parseSystem, type System } from "../systems/system.ts";
import { ARCHITECTURES, type LearnedArchitecture } from "./architectures.ts";
import { LEARNED_ENERGY_SCALE } from "./learned_optimizer.ts";
import { esNoise, populationThetas } from "./es.ts";
import type { TrainConfig } from "./train_config.ts";

/** Relaxations of the FIRE baseline end, and a free-running optimizer logs minima, below this
 * force. */
const BASELINE_FMAX = 1e-3;

/** What makes an outer step's population: theta, the state of the random stream its noise is
 * drawn from (`esNoise`), and sigma. */
export interface PopulationDraw {
  theta: Float32Array;
  noiseState: Uint32Array;
  sigma: number;
}

/** Members [first, first + count) of a population on one system's tasks of one step. */
export interface PopulationSlice extends PopulationDraw {
  system: string;
  /** Seeds the tasks' starts (`randomStructures`) and the architecture's hyperparameters. */
  taskSeed: number;
  first: number;
  count: number;
}

/** What a slice gives back. */
export interface SliceLosses {
  /** The meta-loss of each member of the slice, in order (NaN: dropped, see above). */
  losses: Float64Array;
  /** The lowest energy the centre (member 0) reached over its tasks; null unless the slice holds
   * it. */
  centreBestEnergy: number | null;
  /** Energy+force evaluations of all the slice's replicas. */
  evaluations: number;
}

/** What a batch run gives the loss: per replica its best energy at each budget, and its status. */
interface Unroll {
  bests: Float32Array[];
  final: ReplicaSnapshot;
}

/** Members per population of `config`: the centre and P antithetic pairs. */
export function populationSize(config: TrainConfig): number {
  return 2 * config.pairs + 1;
}

/** The hand-designed method an architecture starts from, in words: what `baseline` runs. */
export function baselineName(config: TrainConfig): string {
  return ARCHITECTURES[config.architecture].baseline.name;
}

export class PopulationEvaluator {
  readonly config: TrainConfig;
  readonly architecture: LearnedArchitecture;
  #gpu: Gpu;
  #layout: ThreadLayout | undefined;
  /** One batch per system and replica count, built once and reused whenever it comes again. */
  #batches = new Map<string, OptimizerBatch>();

  constructor(gpu: Gpu, config: TrainConfig, layout?: ThreadLayout) {
    this.#gpu = gpu;
    this.config = config;
    this.#layout = layout;
    this.architecture = ARCHITECTURES[config.architecture];
  }

  get gpu(): Gpu {
    return this.#gpu;
  }

  get parameterCount(): number {
    return this.architecture.description.parameterCount;
  }

  /** The meta-losses of the slice's members (see above). */
  async slice(slice: PopulationSlice): Promise<SliceLosses> {
    const { config } = this;
    const { first, count, taskSeed } = slice;
    const members = populationSize(config);
    if (!Number.isInteger(first) || !Number.isInteger(count) || first < 0 || count < 1) {
      throw new RangeError(`a slice holds members [first, first + count), got ${first}, ${count}`);
    }
    if (first + count > members) {
      throw new RangeError(`members ${first}..${first + count - 1} of ${members}`);
    }
    const noise = esNoise(Rng.fromState(slice.noiseState), config.pairs, this.parameterCount);
    const thetas = populationThetas(slice.theta, noise, slice.sigma).slice(first, first + count);
    const system = parseSystem(slice.system);
    const tasks = config.tasksPerStep;
    const batch = await this.#learnedBatch(system, count * tasks, count);
    batch.setWeights(concatenated(thetas, this.parameterCount));
    const starts = randomStructures(system, taskSeed, tasks);
    const size = 3 * system.nAtoms;
    const positions = new Float32Array(count * tasks * size);
    for (let m = 0; m < count; m++) positions.set(starts, m * tasks * size);
    batch.initialize(positions, (r: number) => ({
      ...this.architecture.hyperparameters(system, taskSeed),
      stream: r % tasks,
      weights: Math.floor(r / tasks),
    }));
    const unroll = await this.#unroll(batch);
    const losses = new Float64Array(count);
    for (let m = 0; m < count; m++) losses[m] = this.#loss(system, unroll, m * tasks, tasks);
    let centreBestEnergy: number | null = null;
    if (first === 0) {
      centreBestEnergy = Infinity;
      for (let t = 0; t < tasks; t++) {
        centreBestEnergy = Math.min(centreBestEnergy, unroll.final.bestEnergy[t]);
      }
    }
    let evaluations = 0;
    for (const spent of unroll.final.evaluations) evaluations += spent;
    return { losses, centreBestEnergy, evaluations };
  }

  /**
   * The meta-loss of theta itself on fixed validation tasks of `systemName`: (members x
   * tasksPerStep) random starts from `seed`, each replica its own start and stream. The same seed
   * gives the same tasks at every step, so values are comparable over a run.
   */
  async validation(theta: Float32Array, seed: number, systemName: string): Promise<number> {
    const system = parseSystem(systemName);
    const members = populationSize(this.config);
    const batch = await this.#learnedBatch(system, members * this.config.tasksPerStep, members);
    batch.setWeights(concatenated(Array(members).fill(theta), this.parameterCount));
    const hyper = this.architecture.hyperparameters(system, seed);
    batch.initialize(
      randomStructures(system, seed, batch.replicas),
      () => ({ ...hyper, weights: 0 }),
    );
    return this.#loss(system, await this.#unroll(batch), 0, batch.replicas, false);
  }

  /**
   * The same measure for the hand-designed method the architecture starts from, at the same
   * budget on the same tasks: for a residual that is its baseline at zero weights (the hoppers:
   * basin hopping), theta = 0; for the per-step architectures, FIRE (JAX MD's constants, largest move
   * `maxStep` bond lengths, fmax 1e-3) restarting from a fresh random structure whenever a
   * relaxation ends.
   */
  async baseline(seed: number, systemName: string): Promise<number> {
    if (this.architecture.baseline.atZeroWeights) {
      return this.validation(new Float32Array(this.parameterCount), seed, systemName);
    }
    const system = parseSystem(systemName);
    const replicas = populationSize(this.config) * this.config.tasksPerStep;
    const batch = await OptimizerBatch.create(this.#gpu, system, replicas, {
      spec: {
        local: fire({ maxStep: this.config.maxStep * system.bondLength, fire: JAX_MD_FIRE }),
        driver: { mode: "hopping", hopping: restartHopping(system, BASELINE_FMAX) },
        containerRadius: 0,
      },
      layout: this.#layout,
    });
    try {
      batch.initialize(
        randomStructures(system, seed, replicas),
        () => ({ step: 0.1, dr: 0, temperature: 0, seed, weights: 0 }),
      );
      return this.#loss(system, await this.#unroll(batch), 0, replicas, false);
    } finally {
      batch.destroy();
    }
  }

  destroy(): void {
    for (const batch of this.#batches.values()) batch.destroy();
    this.#batches.clear();
  }

  /** Runs the batch for the unroll, reading each replica's best energy at every budget. */
  async #unroll(batch: OptimizerBatch): Promise<Unroll> {
    const { unroll, loss, budgets } = this.config;
    const count = loss === "success" ? budgets : 1;
    const bests: Float32Array[] = [];
    let final: ReplicaSnapshot | undefined;
    for (let k = 1; k <= count; k++) {
      const budget = Math.max(2, Math.round(unroll * k / count));
      final = (await batch.advanceTo(budget)).replicas;
      bests.push(final.bestEnergy.slice());
    }
    return { bests, final: final! };
  }

  /** The meta-loss of replicas [first, first + count) of an unroll on `system` (see above); a
   * replica that rejected a non-finite point makes it NaN when `failedIsNaN` (training), else
   * counts its best energy. */
  #loss(system: System, unroll: Unroll, first: number, count: number, failedIsNaN = true): number {
    const reference = referenceEnergy(system);
    const { final, bests } = unroll;
    let sum = 0;
    for (let r = first; r < first + count; r++) {
      const failed = failedIsNaN && this.config.loss === "gap" && final.rejectedNonfinite[r] > 0;
      const best = failed ? NaN : final.bestEnergy[r];
      sum += (best - reference) / system.nAtoms;
    }
    const gap = sum / count;
    if (this.config.loss === "gap") return gap;
    const threshold = reference + energyTolerance(system);
    let failures = 0;
    for (const best of bests) {
      for (let r = first; r < first + count; r++) {
        if (!(best[r] <= threshold)) failures += 1 / (count * bests.length);
      }
    }
    return failures + this.config.gapWeight * gap;
  }

  /** The learned optimizer's batch of `replicas` replicas of `system` reading `weightVectors`
   * weight vectors, built once (compiling its kernel) per system and size. */
  async #learnedBatch(
    system: System,
    replicas: number,
    weightVectors: number,
  ): Promise<OptimizerBatch> {
    const key = `${system.name}/${replicas}/${weightVectors}`;
    const cached = this.#batches.get(key);
    if (cached) return cached;
    const spec = this.architecture.spec(system, {
      maxStep: this.config.maxStep * system.bondLength,
      fmax: BASELINE_FMAX,
      containerRadius: 0,
      energyScale: LEARNED_ENERGY_SCALE,
    });
    const batch = await OptimizerBatch.create(this.#gpu, system, replicas, {
      spec,
      weightVectors,
      layout: this.#layout,
    });
    this.#batches.set(key, batch);
    return batch;
  }
}

/** Weight vectors one after the other, as the batch reads them. */
function concatenated(thetas: Float32Array[], count: number): Float32Array<ArrayBuffer> {
  const weights = new Float32Array(thetas.length * count);
  thetas.forEach((theta, m) => weights.set(theta, m * count));
  return weights;
}

/** The energy a task's loss is measured from: the known global minimum, else the pooled
 * search's best (`trainingReference`), else 0 (gap loss only). */
function referenceEnergy(system: System): number {
  return trainingReference(system.known)?.energy ?? 0;
}
