/**
 * Meta-training of the learned optimizer with antithetic evolution strategies, the whole ES
 * population in one GPU batch.
 *
 * One outer step:
 * 1. sigma and the learning rate from their schedules; P noise vectors e from the seeded stream;
 *    the population [theta, theta + sigma e_1, theta - sigma e_1, ...] (es.ts).
 * 2. Tasks: one system drawn from the family and T random starts of it. Replica m T + t runs
 *    member m on task t; all members of a task share its start and its random stream, so their
 *    differences come from the weights alone (common random numbers).
 * 3. An unroll of U evaluations per replica on the GPU; each replica's best energy seen.
 * 4. Meta-loss of a member: the mean over its tasks of (best energy - reference) / N, the
 *    reference being the system's known global minimum (0 where none is known), so systems of
 *    different sizes mix per atom. A failed replica (non-finite energy) makes its member's loss
 *    NaN, and ES drops that pair.
 * 5. The antithetic gradient (optionally ESMC-clipped at the centre), clipped to a global norm,
 *    and one Adam (or SGD) step on theta.
 * Everything random comes from one generator whose state the checkpoint keeps, so a resumed run
 * continues exactly.
 */
import type { Gpu } from "../gpu/device.ts";
import { fire, JAX_MD_FIRE } from "../methods/fire.ts";
import { restartHopping } from "../methods/method_spec.ts";
import { OptimizerBatch } from "../methods/optimizer_batch.ts";
import { randomStructures } from "../systems/random_structures.ts";
import { Rng } from "../core/rng.ts";
import { parseSystem, type System } from "../systems/system.ts";
import { ARCHITECTURE, initialTheta, PARAMETER_COUNT } from "./architecture.ts";
import { LEARNED_ENERGY_SCALE } from "./learned_optimizer.ts";
import { perAtomMlp } from "./per_atom_mlp.ts";
import type { Checkpoint } from "./checkpoint.ts";
import { esGradient, esNoise, populationThetas } from "./es.ts";
import { FEATURE_NAMES } from "./features.ts";
import { OuterOptimizer } from "./outer_optimizer.ts";
import { scheduleValue } from "./schedule.ts";
import type { TrainConfig } from "./train_config.ts";

export const PROJECT_VERSION = "0.1.0";

/** Relaxations of the baseline end, and the learned optimizer logs minima, below this force. */
const BASELINE_FMAX = 1e-3;

/** Mean (best energy - known minimum) per atom on the validation tasks, overall and per system. */
export interface Validation {
  loss: number;
  perSystem: Record<string, number>;
}

export interface StepMetrics {
  /** Outer steps completed after this one. */
  step: number;
  system: string;
  sigma: number;
  learningRate: number;
  /** Meta-loss of the unperturbed theta, and the mean over the finite population members. */
  centreLoss: number;
  populationLoss: number;
  /** Lowest energy the centre reached on this step's tasks. */
  centreBestEnergy: number;
  gradientNorm: number;
  validPairs: number;
  /** Energy+force evaluations of the whole population per second of this step. */
  evaluationsPerSecond: number;
  seconds: number;
}

export class MetaTrainer {
  readonly config: TrainConfig;
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
    const options = { method: config.outer, clipNorm: config.clipNorm };
    if (checkpoint === undefined) {
      this.theta = initialTheta(config.seed, config.initScale);
      this.optimizer = new OuterOptimizer(PARAMETER_COUNT, options);
      this.outerStep = 0;
      // A stream apart from initialTheta's, which uses stream 0 of the same seed.
      this.#rng = new Rng(config.seed, 1);
    } else {
      this.theta = Float32Array.from(checkpoint.theta);
      const { m, v, step } = checkpoint.optimizer;
      this.optimizer = new OuterOptimizer(PARAMETER_COUNT, options, {
        method: config.outer,
        step,
        m: config.outer === "adam" ? m : new Float32Array(0),
        v: config.outer === "adam" ? v : new Float32Array(0),
      });
      this.outerStep = checkpoint.outerStep;
      this.#rng = Rng.fromState(checkpoint.rngState);
    }
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
    const noise = esNoise(this.#rng, config.pairs, PARAMETER_COUNT);
    const thetas = populationThetas(this.theta, noise, sigma);
    const systemName = config.systems[Math.floor(this.#rng.uniform() * config.systems.length)];
    const taskSeed = this.#rng.nextUint32();
    const system = parseSystem(systemName);
    const tasks = config.tasksPerStep;

    const batch = await this.#batch(system);
    const weights = new Float32Array(this.members * PARAMETER_COUNT);
    thetas.forEach((theta, m) => weights.set(theta, m * PARAMETER_COUNT));
    batch.setWeights(weights);
    const starts = randomStructures(system, taskSeed, tasks);
    const size = 3 * system.nAtoms;
    const positions = new Float32Array(this.members * tasks * size);
    for (let m = 0; m < this.members; m++) positions.set(starts, m * tasks * size);
    batch.initialize(positions, (r: number) => ({
      step: 0.1,
      dr: 0,
      temperature: 0,
      seed: taskSeed,
      stream: r % tasks,
      weights: Math.floor(r / tasks),
    }));
    const { replicas } = await batch.advanceTo(config.unroll);

    const reference = referenceEnergy(system);
    const losses = Array.from({ length: this.members }, (_, m) => {
      let sum = 0;
      for (let t = 0; t < tasks; t++) {
        const r = m * tasks + t;
        const best = replicas.status[r] === "failed" ? NaN : replicas.bestEnergy[r];
        sum += (best - reference) / system.nAtoms;
      }
      return sum / tasks;
    });
    const plus = losses.filter((_, m) => m > 0 && m % 2 === 1);
    const minus = losses.filter((_, m) => m > 0 && m % 2 === 0);
    const { gradient, validPairs } = esGradient(
      { centre: losses[0], plus, minus },
      noise,
      sigma,
      { clipToCentre: config.clipToCentre },
    );
    const gradientNorm = validPairs > 0
      ? this.optimizer.update(this.theta, gradient, learningRate)
      : 0;
    this.outerStep++;

    const finite = losses.filter(Number.isFinite);
    let centreBestEnergy = Infinity;
    for (let t = 0; t < tasks; t++) {
      centreBestEnergy = Math.min(centreBestEnergy, replicas.bestEnergy[t]);
    }
    const seconds = (performance.now() - start) / 1000;
    let evaluations = 0;
    for (const count of replicas.evaluations) evaluations += count;
    return {
      step: this.outerStep,
      system: system.name,
      sigma,
      learningRate,
      centreLoss: losses[0],
      populationLoss: finite.reduce((a, b) => a + b, 0) / finite.length,
      centreBestEnergy,
      gradientNorm,
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
    return this.#onValidationTasks(seed, async (system) => {
      const batch = await this.#batch(system);
      const weights = new Float32Array(this.members * PARAMETER_COUNT);
      for (let m = 0; m < this.members; m++) weights.set(this.theta, m * PARAMETER_COUNT);
      batch.setWeights(weights);
      return batch;
    });
  }

  /**
   * The same measure for the baseline at the same budget: FIRE (JAX MD's constants, largest move
   * `maxStep` bond lengths, fmax 1e-3) from the same starts, restarting from a fresh random
   * structure whenever a relaxation ends (the kernel's random-restart method).
   */
  baseline(seed: number): Promise<Validation> {
    return this.#onValidationTasks(
      seed,
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

  /** Mean (best energy - reference) / N over every replica of `prepare`'s batch per system. */
  async #onValidationTasks(
    seed: number,
    prepare: (system: System) => Promise<OptimizerBatch>,
  ): Promise<Validation> {
    const perSystem: Record<string, number> = {};
    for (const name of this.config.systems) {
      const system = parseSystem(name);
      const batch = await prepare(system);
      batch.initialize(
        randomStructures(system, seed, batch.replicas),
        () => ({ step: 0.1, dr: 0, temperature: 0, seed, weights: 0 }),
      );
      const { replicas } = await batch.advanceTo(this.config.unroll);
      const reference = referenceEnergy(system);
      let sum = 0;
      for (let r = 0; r < batch.replicas; r++) {
        sum += (replicas.bestEnergy[r] - reference) / system.nAtoms;
      }
      perSystem[name] = sum / batch.replicas;
      if (![...this.#batches.values()].includes(batch)) batch.destroy();
    }
    const values = Object.values(perSystem);
    return { loss: values.reduce((a, b) => a + b, 0) / values.length, perSystem };
  }

  checkpoint(): Checkpoint {
    const state = this.optimizer.state();
    return {
      theta: Float32Array.from(this.theta),
      optimizer: {
        m: state.m.length ? state.m : new Float32Array(PARAMETER_COUNT),
        v: state.v.length ? state.v : new Float32Array(PARAMETER_COUNT),
        step: state.step,
      },
      outerStep: this.outerStep,
      rngState: this.#rng.state(),
      architecture: ARCHITECTURE,
      features: [...FEATURE_NAMES],
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
    const local = perAtomMlp({
      maxStep: this.config.maxStep * system.bondLength,
      bondLength: system.bondLength,
      energyScale: LEARNED_ENERGY_SCALE,
    });
    const batch = await OptimizerBatch.create(
      this.#gpu,
      system,
      this.members * this.config.tasksPerStep,
      {
        spec: { local, driver: { mode: "free", fmax: BASELINE_FMAX }, containerRadius: 0 },
        weightVectors: this.members,
      },
    );
    this.#batches.set(system.name, batch);
    return batch;
  }
}

/** The energy a task's loss is measured from: the known global minimum, else 0. */
function referenceEnergy(system: System): number {
  return system.known.find((k) => k.kind === "putative-global")?.energy ?? 0;
}
