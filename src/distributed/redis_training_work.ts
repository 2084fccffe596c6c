/**
 * Meta-training's work spread over the workers of a Redis (deno task worker): each outer step's
 * population is cut into slices of members per system (slicing.ts), published as train-slice
 * items, and the slices' losses are put back together in member order. Only theta, the noise
 * stream's state and a few scalars travel; each worker draws the population itself
 * (Salimans et al. 2017). The losses are population_evaluator.ts's functions of the items'
 * contents, so the trajectory is the same bits as LocalTrainingWork's on the same adapter,
 * whatever the number of workers and whoever did which slice.
 */
import type { ThreadLayout } from "../gpu/thread_layout.ts";
import { populationSize } from "../learned/population_evaluator.ts";
import type { TrainConfig } from "../learned/train_config.ts";
import type {
  StepLosses,
  StepPopulation,
  TrainingWork,
  WorkTiming,
} from "../learned/training_work.ts";
import { guidedSlices } from "./slicing.ts";
import type { WorkHost } from "./work_host.ts";
import {
  type SliceValue,
  type TrainBaselineItem,
  type TrainSliceItem,
  type TrainValidationItem,
  WORK_FORMAT,
  type WorkResult,
} from "./work_items.ts";

/** The fewest replicas a slice runs (members x tasks): one lane-layout workgroup. */
export const MIN_SLICE_REPLICAS = 64;

export class RedisTrainingWork implements TrainingWork {
  #host: WorkHost;
  #config: TrainConfig;
  #layout: ThreadLayout | null;
  #minSliceReplicas: number;

  /** `minSliceReplicas` (default MIN_SLICE_REPLICAS) bounds how small a slice may be. */
  constructor(
    host: WorkHost,
    config: TrainConfig,
    layout: ThreadLayout | null,
    minSliceReplicas = MIN_SLICE_REPLICAS,
  ) {
    this.#host = host;
    this.#config = config;
    this.#layout = layout;
    this.#minSliceReplicas = minSliceReplicas;
  }

  /** Every adapter the workers ran on so far. */
  get adapter(): string {
    return [...this.#host.adapters].join("; ") || "(no worker yet)";
  }

  get layout(): string {
    return [...this.#host.layouts].join(", ") || (this.#layout ?? "default");
  }

  async population(step: StepPopulation): Promise<StepLosses> {
    const config = this.#config;
    const members = populationSize(config);
    const workers = (await this.#host.liveWorkers()).length;
    const minimum = Math.ceil(this.#minSliceReplicas / config.tasksPerStep);
    const items: TrainSliceItem[] = [];
    /** The index in step.systems of each item's system. */
    const owners: number[] = [];
    for (const [k, { name, taskSeed }] of step.systems.entries()) {
      for (const { first, count } of guidedSlices(members, workers, minimum)) {
        owners.push(k);
        items.push({
          ...this.#base(),
          kind: "train-slice",
          config,
          step: step.step,
          theta: Float32Array.from(step.theta),
          noiseState: step.noiseState,
          sigma: step.sigma,
          system: name,
          taskSeed,
          first,
          count,
        });
      }
    }
    const results = await this.#host.runAll(items);
    const systems = step.systems.map(() => ({
      losses: new Float64Array(members),
      centreBestEnergy: NaN,
      evaluations: 0,
    }));
    results.forEach((result, k) => {
      const item = items[k];
      const value = result.outcome.ok ? result.outcome.value as SliceValue : undefined;
      const target = systems[owners[k]];
      if (value === undefined || value.losses.length !== item.count) {
        throw new Error(`worker ${result.worker} sent a malformed slice result`);
      }
      target.losses.set(value.losses, item.first);
      if (item.first === 0) target.centreBestEnergy = value.centreBestEnergy!;
      target.evaluations += value.evaluations;
    });
    return { systems, timing: this.#timing(results) };
  }

  async validation(theta: Float32Array, seed: number, systems: string[]): Promise<number[]> {
    const items: TrainValidationItem[] = systems.map((system) => ({
      ...this.#base(),
      kind: "train-validation",
      config: this.#config,
      theta: Float32Array.from(theta),
      seed,
      system,
    }));
    return this.#losses(await this.#host.runAll(items));
  }

  async baseline(seed: number, systems: string[]): Promise<number[]> {
    const items: TrainBaselineItem[] = systems.map((system) => ({
      ...this.#base(),
      kind: "train-baseline",
      config: this.#config,
      seed,
      system,
    }));
    return this.#losses(await this.#host.runAll(items));
  }

  /** Withdraws what is outstanding and disconnects from Redis. */
  destroy(): void {
    this.#host.close();
  }

  #base(): { format: typeof WORK_FORMAT; run: string; layout: ThreadLayout | null } {
    return { format: WORK_FORMAT, run: this.#host.run, layout: this.#layout };
  }

  #losses(results: WorkResult[]): number[] {
    return results.map((result) => {
      const value = result.outcome.ok ? result.outcome.value as { loss: number } : undefined;
      if (typeof value?.loss !== "number") {
        throw new Error(`worker ${result.worker} sent a malformed loss`);
      }
      return value.loss;
    });
  }

  /** Who did the work and the busiest one's computing time. */
  #timing(results: WorkResult[]): WorkTiming {
    const perWorker = new Map<string, number>();
    for (const result of results) {
      perWorker.set(result.worker, (perWorker.get(result.worker) ?? 0) + result.seconds);
    }
    return {
      workers: perWorker.size,
      items: results.length,
      busiestWorkerSeconds: Math.max(0, ...perWorker.values()),
    };
  }
}
