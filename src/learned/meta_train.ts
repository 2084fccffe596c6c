/**
 * Meta-training of a learned optimizer (any architecture of architectures.ts) with antithetic
 * evolution strategies.
 *
 * One outer step:
 * 1. sigma and the learning rate from their schedules; P noise vectors e from the seeded stream;
 *    the population [theta, theta + sigma e_1, theta - sigma e_1, ...] (es.ts).
 * 2. Tasks: `systemsPerStep` systems drawn from the list (without replacement; with draw
 *    "family", that many from each family in it) and T random starts of each. Replica m T + t
 *    runs member m on task t; all members of a task share its start and its random stream, so
 *    their differences come from the weights alone (common random numbers).
 * 3. An unroll of U evaluations per replica (read at `budgets` evenly spaced budgets for the
 *    success loss), run by the TrainingWork (training_work.ts: this machine's GPU, or workers).
 * 4. Meta-loss of a member, averaged over its systems (each per atom; the losses are
 *    population_evaluator.ts's); with `normalise`, each system's losses over its standard
 *    deviation across the population first (the gradient's; the losses reported stay raw).
 * 5. The antithetic gradient (ESMC-clipped at the centre when configured), its signal-to-noise
 *    ratio (es.ts), clipped to a global norm, and one Adam (or SGD) step on theta.
 * Everything random comes from one generator whose state the checkpoint keeps, so a resumed run
 * continues exactly; the work only ever sees the state its step's noise is drawn from.
 */
import { Rng } from "../core/rng.ts";
import { parseSystem, type System } from "../systems/system.ts";
import { ARCHITECTURES, type LearnedArchitecture } from "./architectures.ts";
import type { Checkpoint } from "./checkpoint.ts";
import { esGradient, esNoise, pairDifferences, signalToNoise } from "./es.ts";
import { OuterOptimizer } from "./outer_optimizer.ts";
import { baselineName, populationSize } from "./population_evaluator.ts";
import { scheduleValue } from "./schedule.ts";
import { familyGroups } from "./coverage.ts";
import { standardDeviation } from "../core/statistics.ts";
import type { TrainConfig } from "./train_config.ts";
import type { TrainingWork, WorkTiming } from "./training_work.ts";

export const PROJECT_VERSION = "0.1.0";

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
  /** Distributed work: workers, items and the busiest worker's computing time. */
  work?: WorkTiming;
}

export class MetaTrainer {
  readonly config: TrainConfig;
  readonly architecture: LearnedArchitecture;
  readonly theta: Float32Array;
  readonly optimizer: OuterOptimizer;
  outerStep: number;
  /** Where the GPU work runs (the trainer owns it). */
  readonly work: TrainingWork;
  #rng: Rng;
  /** What a step draws from: the whole list, or (draw "family") each family of it. */
  #groups: System[][];

  /** A fresh run (from the architecture's initial weights, or from `startTheta` when the config
   * fine-tunes a checkpoint), or one continuing from `checkpoint` (its theta, Adam state, step
   * and stream); the GPU work runs wherever `work` runs it. */
  constructor(
    work: TrainingWork,
    config: TrainConfig,
    checkpoint?: Checkpoint,
    startTheta?: Float32Array,
  ) {
    this.work = work;
    this.config = config;
    this.architecture = ARCHITECTURES[config.architecture];
    const count = this.parameterCount;
    const systems = config.systems.map((name) => parseSystem(name));
    this.#groups = config.draw === "family" ? familyGroups(systems) : [systems];
    const options = { method: config.outer, clipNorm: config.clipNorm };
    if (checkpoint === undefined) {
      this.theta = startTheta === undefined
        ? this.architecture.initialTheta(config.seed, config.initScale)
        : Float32Array.from(startTheta);
      if (this.theta.length !== count) {
        throw new Error(`start weights have ${this.theta.length} parameters, not ${count}`);
      }
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
    return populationSize(this.config);
  }

  async step(): Promise<StepMetrics> {
    const start = performance.now();
    const { config } = this;
    const sigma = scheduleValue(config.sigma, this.outerStep);
    const learningRate = scheduleValue(config.learningRate, this.outerStep);
    const noiseState = this.#rng.state();
    const noise = esNoise(this.#rng, config.pairs, this.parameterCount);
    const systems = this.#drawSystems();
    const taskSeeds = systems.map(() => this.#rng.nextUint32());

    const work = await this.work.population({
      step: this.outerStep,
      theta: this.theta,
      noiseState,
      sigma,
      systems: systems.map((system, k) => ({ name: system.name, taskSeed: taskSeeds[k] })),
    });
    const losses = new Array(this.members).fill(0);
    /** What the gradient sees: `losses`, or with `normalise` each system's over its spread. */
    const scored = config.normalise ? new Array(this.members).fill(0) : losses;
    let centreBestEnergy = 0;
    let evaluations = 0;
    for (const [k, system] of systems.entries()) {
      const result = work.systems[k];
      for (let m = 0; m < this.members; m++) losses[m] += result.losses[m] / systems.length;
      if (config.normalise) {
        const spread = standardDeviation(result.losses.filter(Number.isFinite));
        for (let m = 0; m < this.members; m++) {
          // A member's NaN stays NaN (its pair is dropped); a system without spread adds nothing.
          const loss = result.losses[m];
          scored[m] += spread > 0 ? loss / spread / systems.length : loss * 0;
        }
      }
      const best = result.centreBestEnergy;
      centreBestEnergy += (systems.length > 1 ? best / system.nAtoms : best) / systems.length;
      evaluations += result.evaluations;
    }

    const population = {
      centre: scored[0],
      plus: scored.filter((_, m) => m > 0 && m % 2 === 1),
      minus: scored.filter((_, m) => m > 0 && m % 2 === 0),
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
      ...(work.timing === undefined ? {} : { work: work.timing }),
    };
  }

  /**
   * The meta-loss of theta itself on fixed validation tasks: every system of the family, with
   * (members x tasksPerStep) random starts each from `seed` (population_evaluator.ts).
   */
  async validate(seed: number): Promise<Validation> {
    return validationOf(
      this.config.systems,
      await this.work.validation(this.theta, seed, this.config.systems),
    );
  }

  /** The same measure for the hand-designed method the architecture starts from, at the same
   * budget on the same tasks (population_evaluator.ts). */
  async baseline(seed: number): Promise<Validation> {
    return validationOf(this.config.systems, await this.work.baseline(seed, this.config.systems));
  }

  /** What `baseline` measures, in words. */
  get baselineName(): string {
    return baselineName(this.config);
  }

  #drawSystems(): System[] {
    const drawn: System[] = [];
    for (const group of this.#groups) {
      const left = [...group];
      for (let k = 0; k < this.config.systemsPerStep; k++) {
        const index = Math.floor(this.#rng.uniform() * left.length);
        drawn.push(left.splice(index, 1)[0]);
      }
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

  /** Frees the work's resources: the trainer owns the work it was given. */
  destroy(): void {
    this.work.destroy();
  }
}

/** Per-system losses and their mean. */
function validationOf(systems: string[], losses: number[]): Validation {
  const perSystem: Record<string, number> = {};
  systems.forEach((name, k) => perSystem[name] = losses[k]);
  return { loss: losses.reduce((a, b) => a + b, 0) / losses.length, perSystem };
}
