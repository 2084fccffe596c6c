/**
 * Where meta-training's GPU work runs: the trainer (meta_train.ts) hands each outer step's
 * population, and theta for validation, to a TrainingWork and gets the meta-losses back. The work
 * on this machine is `LocalTrainingWork`; src/distributed/ spreads the same work over workers.
 * Either way each loss is the same function of its inputs (population_evaluator.ts), so the
 * training trajectory does not depend on where it ran.
 */
import type { Gpu } from "../gpu/device.ts";
import type { ThreadLayout } from "../gpu/thread_layout.ts";
import {
  type PopulationDraw,
  PopulationEvaluator,
  populationSize,
  type SliceLosses,
} from "./population_evaluator.ts";
import type { TrainConfig } from "./train_config.ts";

/** One outer step's population on its systems: member m on every task of each system. */
export interface StepPopulation extends PopulationDraw {
  /** The outer step it belongs to (counted from 0). */
  step: number;
  systems: { name: string; taskSeed: number }[];
}

/** What the work of a step measured beyond the losses, where it knows. */
export interface WorkTiming {
  /** Workers that took part. */
  workers: number;
  /** Items the population was split into. */
  items: number;
  /** The longest time one worker spent computing its items of the step (s). */
  busiestWorkerSeconds: number;
}

export interface StepLosses {
  /** Per system of the step, in order: every member's losses (all members, in order), the
   * centre's best energy and the evaluations spent. */
  systems: (SliceLosses & { centreBestEnergy: number })[];
  timing?: WorkTiming;
}

export interface TrainingWork {
  /** The adapter(s) the work runs on, and the thread layout, in words. */
  readonly adapter: string;
  readonly layout: string;
  population(step: StepPopulation): Promise<StepLosses>;
  /** Theta's meta-loss on the validation tasks of each system (population_evaluator.ts). */
  validation(theta: Float32Array, seed: number, systems: string[]): Promise<number[]>;
  /** The hand-designed baseline's, on the same tasks. */
  baseline(seed: number, systems: string[]): Promise<number[]>;
  destroy(): void;
}

/** All the work on this machine's adapter, each system's population in one batch. */
export class LocalTrainingWork implements TrainingWork {
  #evaluator: PopulationEvaluator;
  #layout: ThreadLayout;

  constructor(gpu: Gpu, config: TrainConfig, layout?: ThreadLayout) {
    this.#evaluator = new PopulationEvaluator(gpu, config, layout);
    this.#layout = layout ?? gpu.layout;
  }

  get adapter(): string {
    return this.#evaluator.gpu.adapterName;
  }

  get layout(): string {
    return this.#layout;
  }

  async population(step: StepPopulation): Promise<StepLosses> {
    const systems = [];
    const count = populationSize(this.#evaluator.config);
    for (const { name, taskSeed } of step.systems) {
      const losses = await this.#evaluator.slice({
        ...step,
        system: name,
        taskSeed,
        first: 0,
        count,
      });
      systems.push({ ...losses, centreBestEnergy: losses.centreBestEnergy! });
    }
    return { systems };
  }

  async validation(theta: Float32Array, seed: number, systems: string[]): Promise<number[]> {
    const losses = [];
    for (const name of systems) losses.push(await this.#evaluator.validation(theta, seed, name));
    return losses;
  }

  async baseline(seed: number, systems: string[]): Promise<number[]> {
    const losses = [];
    for (const name of systems) losses.push(await this.#evaluator.baseline(seed, name));
    return losses;
  }

  destroy(): void {
    this.#evaluator.destroy();
  }
}
