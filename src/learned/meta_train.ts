/**
 * Meta-training of a learned optimizer (any architecture of architectures.ts) with antithetic
 * evolution strategies, the whole ES population in one GPU batch per system.
 *
 * One outer step:
 * 1. sigma and the learning rate from their schedules; P noise vectors e from the seeded stream;
 *    the population [theta, theta + sigma e_1, theta - sigma e_1, ...] (es.ts).
 * 2. Tasks: `systemsPerStep` systems drawn from the family (without replacement) and T random
 *    starts of each. Replica m T + t runs member m on task t; all members of a task share its
 *    start and its random stream, so their differences come from the weights alone (common random
 *    numbers).
 * 3. An unroll of U evaluations per replica on the GPU (read at `budgets` evenly spaced budgets
 *    for the success loss).
 * 4. Meta-loss of a member, averaged over its systems (each normalised on its own):
 *    - gap: the mean over its tasks of (best energy - reference) / N, the reference being the
 *      system's known global minimum, else the best of a pooled search ten times longer
 *      (data/pooled_minima.json), else 0;
 *    - success: the fraction of its tasks not yet within the tolerance (energyTolerance) of the
 *      known minimum, averaged over the budgets, plus gapWeight times the gap at the end: what
 *      eval measures (success at equal evaluations), with the gap to break ties among failures.
 *    With the gap loss a failed replica (non-finite energy) makes its member's loss NaN, and ES
 *    drops that pair; with the success loss it counts with the best energy it had reached (it
 *    succeeded only if that was at the minimum), so a move that blows a replica apart costs that
 *    replica's chances, not the whole pair.
 * 5. The antithetic gradient (ESMC-clipped at the centre when configured), its signal-to-noise
 *    ratio (es.ts), clipped to a global norm, and one Adam (or SGD) step on theta.
 * Everything random comes from one generator whose state the checkpoint keeps, so a resumed run
 * continues exactly.
 */
import type { Gpu } from "../gpu/device.ts";
import { fire, JAX_MD_FIRE } from "../methods/fire.ts";
import { restartHopping } from "../methods/method_spec.ts";
import type { ReplicaSnapshot } from "../methods/optimizer_batch.ts";
import { OptimizerBatch } from "../methods/optimizer_batch.ts";
import { randomStructures } from "../systems/random_structures.ts";
import { Rng } from "../core/rng.ts";
import { energyTolerance } from "../systems/energy_tolerance.ts";
import { trainingReference } from "../systems/known_minima.ts";
import { parseSystem, type System } from "../systems/system.ts";
import { ARCHITECTURES, type LearnedArchitecture } from "./architectures.ts";
import { LEARNED_ENERGY_SCALE } from "./learned_optimizer.ts";
import type { Checkpoint } from "./checkpoint.ts";
import { esGradient, esNoise, pairDifferences, populationThetas, signalToNoise } from "./es.ts";
import { OuterOptimizer } from "./outer_optimizer.ts";
import { scheduleValue } from "./schedule.ts";
import type { TrainConfig } from "./train_config.ts";

export const PROJECT_VERSION = "0.1.0";

/** Relaxations of the FIRE baseline end, and a free-running optimizer logs minima, below this
 * force. */
const BASELINE_FMAX = 1e-3;

/** The meta-loss of theta on the validation tasks, overall and per system. */
export interface Validation {
  loss: number;
  perSystem: Record<string, number>;
}

export interface StepMetrics {
  /** Outer steps completed after this one. */
  step: number;
  /** The systems of this step, joined with "+". */
  system: string;
  sigma: number;
  learningRate: number;
  /** Meta-loss of the unperturbed theta, and the mean over the finite population members. */
  centreLoss: number;
  populationLoss: number;
  /** Lowest energy the centre reached on this step's tasks (per atom for several systems). */
  centreBestEnergy: number;
  gradientNorm: number;
  /** ||g||^2 over the estimate's variance (es.ts signalToNoise): about 1 when it is noise. */
  signalToNoise: number;
  validPairs: number;
  /** Energy+force evaluations of the whole population per second of this step. */
  evaluationsPerSecond: number;
  seconds: number;
}

/** What a batch run gives the loss: per replica its best energy at each budget, and its status. */
interface Unroll {
  bests: Float32Array[];
  final: ReplicaSnapshot;
}

export class MetaTrainer {
  readonly config: TrainConfig;
  readonly architecture: LearnedArchitecture;
  readonly theta: Float32Array;
  readonly optimizer: OuterOptimizer;
  outerStep: number;
  #gpu: Gpu;
  #rng: Rng;
  #batches = new Map<string, OptimizerBatch>();

  /** A fresh run, or one continuing from `checkpoint` (its theta, Adam state, step and stream). */
  constructor(gpu: Gpu, config: TrainConfig, checkpoint?: Checkpoint) {
    this.#gpu = gpu;
    this.config = config;
    this.architecture = ARCHITECTURES[config.architecture];
    const count = this.parameterCount;
    const options = { method: config.outer, clipNorm: config.clipNorm };
    if (checkpoint === undefined) {
      this.theta = this.architecture.initialTheta(config.seed, config.initScale);
      this.optimizer = new OuterOptimizer(count, options);
      this.outerStep = 0;
      // A stream apart from the initial weights', which use stream 0 of the same seed.
      this.#rng = new Rng(config.seed, 1);
    } else {
      this.theta = Float32Array.from(checkpoint.theta);
      const { m, v, step } = checkpoint.optimizer;
      this.optimizer = new OuterOptimizer(count, options, {
        method: config.outer,
        step,
        m: config.outer === "adam" ? m : new Float32Array(0),
        v: config.outer === "adam" ? v : new Float32Array(0),
      });
      this.outerStep = checkpoint.outerStep;
      this.#rng = Rng.fromState(checkpoint.rngState);
    }
  }

  get parameterCount(): number {
    return this.architecture.description.parameterCount;
  }

  /** Members per population: the centre and P antithetic pairs. */
  get members(): number {
    return 2 * this.config.pairs + 1;
  }

  async step(): Promise<StepMetrics> {
    const start = performance.now();
    const { config } = this;
    const sigma = scheduleValue(config.sigma, this.outerStep);
    const learningRate = scheduleValue(config.learningRate, this.outerStep);
    const noise = esNoise(this.#rng, config.pairs, this.parameterCount);
    const thetas = populationThetas(this.theta, noise, sigma);
    const systems = this.#drawSystems();
    const taskSeeds = systems.map(() => this.#rng.nextUint32());
    const tasks = config.tasksPerStep;

    const losses = new Array(this.members).fill(0);
    let centreBestEnergy = 0;
    let evaluations = 0;
    for (const [k, system] of systems.entries()) {
      const batch = await this.#batch(system);
      batch.setWeights(concatenated(thetas, this.parameterCount));
      const starts = randomStructures(system, taskSeeds[k], tasks);
      const size = 3 * system.nAtoms;
      const positions = new Float32Array(this.members * tasks * size);
      for (let m = 0; m < this.members; m++) positions.set(starts, m * tasks * size);
      batch.initialize(positions, (r: number) => ({
        ...this.architecture.hyperparameters(system, taskSeeds[k]),
        stream: r % tasks,
        weights: Math.floor(r / tasks),
      }));
      const unroll = await this.#unroll(batch);
      for (let m = 0; m < this.members; m++) {
        losses[m] += this.#loss(system, unroll, m * tasks, tasks) / systems.length;
      }
      let best = Infinity;
      for (let t = 0; t < tasks; t++) best = Math.min(best, unroll.final.bestEnergy[t]);
      centreBestEnergy += (systems.length > 1 ? best / system.nAtoms : best) / systems.length;
      for (const count of unroll.final.evaluations) evaluations += count;
    }

    const population = {
      centre: losses[0],
      plus: losses.filter((_, m) => m > 0 && m % 2 === 1),
      minus: losses.filter((_, m) => m > 0 && m % 2 === 0),
    };
    const { gradient, validPairs } = esGradient(population, noise, sigma, {
      clipToCentre: config.clipToCentre,
    });
    const ratio = signalToNoise(pairDifferences(population, config.clipToCentre), noise, sigma);
    const gradientNorm = validPairs > 0
      ? this.optimizer.update(this.theta, gradient, learningRate)
      : 0;
    this.outerStep++;

    const finite = losses.filter(Number.isFinite);
    const seconds = (performance.now() - start) / 1000;
    return {
      step: this.outerStep,
      system: systems.map((s) => s.name).join("+"),
      sigma,
      learningRate,
      centreLoss: losses[0],
      populationLoss: finite.reduce((a, b) => a + b, 0) / finite.length,
      centreBestEnergy,
      gradientNorm,
      signalToNoise: ratio,
      validPairs,
      evaluationsPerSecond: evaluations / seconds,
      seconds,
    };
  }

  /**
   * The meta-loss of theta itself on fixed validation tasks: every system of the family, with
   * (members x tasksPerStep) random starts each from `seed`, each replica its own start and
   * stream. The same seed gives the same tasks at every step, so values are comparable over a run.
   */
  validate(seed: number): Promise<Validation> {
    return this.#onValidationTasks(seed, this.theta);
  }

  /**
   * The same measure for the hand-designed method the architecture starts from, at the same
   * budget on the same tasks: for a residual on basin hopping (hop-residual), theta = 0, which is
   * basin hopping; for the per-step architecture, FIRE (JAX MD's constants, largest move
   * `maxStep` bond lengths, fmax 1e-3) restarting from a fresh random structure whenever a
   * relaxation ends.
   */
  baseline(seed: number): Promise<Validation> {
    if (this.baselineName === "basin hopping") {
      return this.#onValidationTasks(seed, new Float32Array(this.parameterCount));
    }
    return this.#onValidationTasks(
      seed,
      undefined,
      (system) =>
        OptimizerBatch.create(this.#gpu, system, this.members * this.config.tasksPerStep, {
          spec: {
            local: fire({ maxStep: this.config.maxStep * system.bondLength, fire: JAX_MD_FIRE }),
            driver: { mode: "hopping", hopping: restartHopping(system, BASELINE_FMAX) },
            containerRadius: 0,
          },
        }),
    );
  }

  /** What `baseline` measures, in words. */
  get baselineName(): string {
    return this.architecture.description.name === "hop-residual"
      ? "basin hopping"
      : "FIRE with random restarts";
  }

  /** The meta-loss over every replica of each system's batch: `theta` in the learned batch, or
   * the batch `prepare` makes. */
  async #onValidationTasks(
    seed: number,
    theta: Float32Array | undefined,
    prepare?: (system: System) => Promise<OptimizerBatch>,
  ): Promise<Validation> {
    const perSystem: Record<string, number> = {};
    for (const name of this.config.systems) {
      const system = parseSystem(name);
      const batch = prepare === undefined ? await this.#batch(system) : await prepare(system);
      if (theta !== undefined) {
        batch.setWeights(concatenated(Array(this.members).fill(theta), this.parameterCount));
      }
      const hyper = prepare === undefined
        ? this.architecture.hyperparameters(system, seed)
        : { step: 0.1, dr: 0, temperature: 0, seed };
      batch.initialize(
        randomStructures(system, seed, batch.replicas),
        () => ({ ...hyper, weights: 0 }),
      );
      const unroll = await this.#unroll(batch);
      perSystem[name] = this.#loss(system, unroll, 0, batch.replicas, false);
      if (prepare !== undefined) batch.destroy();
    }
    const values = Object.values(perSystem);
    return { loss: values.reduce((a, b) => a + b, 0) / values.length, perSystem };
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
   * failed replica makes it NaN when `failedIsNaN` (training), else counts its best energy. */
  #loss(system: System, unroll: Unroll, first: number, count: number, failedIsNaN = true): number {
    const reference = referenceEnergy(system);
    const { final, bests } = unroll;
    let sum = 0;
    for (let r = first; r < first + count; r++) {
      const failed = failedIsNaN && this.config.loss === "gap" && final.status[r] === "failed";
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

  #drawSystems(): System[] {
    const names = [...this.config.systems];
    const drawn: System[] = [];
    for (let k = 0; k < this.config.systemsPerStep; k++) {
      const index = Math.floor(this.#rng.uniform() * names.length);
      drawn.push(parseSystem(names.splice(index, 1)[0]));
    }
    return drawn;
  }

  checkpoint(): Checkpoint {
    const state = this.optimizer.state();
    const count = this.parameterCount;
    return {
      theta: Float32Array.from(this.theta),
      optimizer: {
        m: state.m.length ? state.m : new Float32Array(count),
        v: state.v.length ? state.v : new Float32Array(count),
        step: state.step,
      },
      outerStep: this.outerStep,
      rngState: this.#rng.state(),
      architecture: this.architecture.description,
      features: [...this.architecture.features],
      config: this.config,
      projectVersion: PROJECT_VERSION,
    };
  }

  destroy(): void {
    for (const batch of this.#batches.values()) batch.destroy();
    this.#batches.clear();
  }

  /** One batch per system, built once (compiling its kernel) and reused every time it is drawn. */
  async #batch(system: System): Promise<OptimizerBatch> {
    const cached = this.#batches.get(system.name);
    if (cached) return cached;
    const spec = this.architecture.spec(system, {
      maxStep: this.config.maxStep * system.bondLength,
      fmax: BASELINE_FMAX,
      containerRadius: 0,
      energyScale: LEARNED_ENERGY_SCALE,
    });
    const batch = await OptimizerBatch.create(
      this.#gpu,
      system,
      this.members * this.config.tasksPerStep,
      { spec, weightVectors: this.members },
    );
    this.#batches.set(system.name, batch);
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
