/**
 * What a learned hop controller costs in wall time: a hop-residual checkpoint's fused search
 * (basin hopping whose hop decisions its network takes) against the same search without the
 * network (the checkpoint's moves, local method and tolerances, the default decisions), in
 * evaluations per second over one batch of random starts in which no replica stops. Equal
 * evaluations are nearly equal time only where the controller is cheap: issue 21 allows it 10%.
 * The controller also changes how often the replicas hop (its hop tolerance), and that is part of
 * its cost per evaluation; both rates are therefore reported with their hops.
 */
import type { Gpu } from "../gpu/device.ts";
import type { ThreadLayout } from "../gpu/thread_layout.ts";
import type { LearnedOptimizer } from "../learned/learned_optimizer.ts";
import type { MethodSpec } from "../methods/method_spec.ts";
import { OptimizerBatch } from "../methods/optimizer_batch.ts";
import { UserError } from "../core/errors.ts";
import { defaultSettings, defaultSweeps, methodSpec, sweepValue } from "../search/defaults.ts";
import { randomStructures } from "../systems/random_structures.ts";
import type { System } from "../systems/system.ts";
import { type BatchTiming, timeBatch } from "./timed_batch.ts";

export interface ControllerCost {
  system: string;
  replicas: number;
  layout: ThreadLayout;
  /** Without the controller, and with it. */
  plain: BatchTiming;
  learned: BatchTiming;
  /** The share of the plain search's rate the controller gives up: 1 - learned / plain rate. */
  cost: number;
}

/** The checkpoint's search on `system`, and the same without its hop controller; a UserError
 * where it has none (a per-step learned optimizer has none to time). No GPU work. */
export function controlledSpecs(
  system: System,
  learned: LearnedOptimizer,
): { controlled: MethodSpec; plain: MethodSpec } {
  const controlled = methodSpec(system, defaultSettings(system, "learned"), learned);
  if (controlled.driver.mode !== "hopping" || controlled.driver.control === undefined) {
    throw new UserError(
      `${learned.architecture.description.name} checkpoints have no hop controller to time`,
    );
  }
  const plain = { ...controlled, driver: { ...controlled.driver, control: undefined } };
  return { controlled, plain };
}

/** The checkpoint's search on `system` and the same without its controller, each timed over about
 * `seconds` on `replicas` random starts (seed). */
export async function controllerCost(
  gpu: Gpu,
  system: System,
  learned: LearnedOptimizer,
  replicas: number,
  seed: number,
  seconds: number,
  layout: ThreadLayout,
): Promise<ControllerCost> {
  const settings = defaultSettings(system, "learned");
  const { controlled, plain } = controlledSpecs(system, learned);
  const sweeps = defaultSweeps(system, settings);
  const starts = randomStructures(system, seed, replicas);
  const time = async (spec: MethodSpec, weights?: Float32Array<ArrayBuffer>) => {
    const batch = await OptimizerBatch.create(gpu, system, replicas, {
      spec,
      layout,
      weightVectors: weights === undefined ? 0 : 1,
    });
    try {
      if (weights !== undefined) batch.setWeights(weights);
      batch.initialize(starts, (r) => ({
        step: sweepValue(sweeps.step, r, replicas),
        dr: sweepValue(sweeps.dr, r, replicas),
        temperature: sweepValue(sweeps.temperature, r, replicas),
        seed,
        weights: 0,
      }));
      return await timeBatch(batch, seconds);
    } finally {
      batch.destroy();
    }
  };
  const without = await time(plain);
  const withController = await time(controlled, Float32Array.from(learned.weights));
  const rate = (t: BatchTiming) => t.evaluations / t.seconds;
  return {
    system: system.name,
    replicas,
    layout,
    plain: without,
    learned: withController,
    cost: 1 - rate(withController) / rate(without),
  };
}
