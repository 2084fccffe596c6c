/**
 * Meta-training from where a trainer stands to its config's last outer step: a validation at the
 * start (unless the caller has the resumed checkpoint's) and with every checkpoint (each
 * `checkpointEvery` steps and at the end), the hand-designed baseline at the same evaluations last.
 * Where the run logs, saves and prints is the caller's (TrainingEvents); a stop asked for (a
 * signal) ends the loop at once with the state after the last finished step, abandoning the GPU
 * work in progress.
 */
import { UserError } from "../core/errors.ts";
import type { Checkpoint } from "./checkpoint.ts";
import type { MetaTrainer, StepMetrics, Validation } from "./meta_train.ts";

export interface ValidationRecord extends Validation {
  type: "validation";
  step: number;
}

export interface TrainingEvents {
  /** Appends a record (validations, steps, the baseline) to the run's metrics. */
  log(record: object): Promise<void>;
  /** Writes a checkpoint. */
  save(state: Checkpoint): Promise<void>;
  validated(record: ValidationRecord): void;
  stepped(step: StepMetrics): void;
  /** Resolves when a stop is asked for. */
  stopped: Promise<undefined>;
  /** Whether a stop has been asked for (checked between steps). */
  stopAsked(): boolean;
}

export type TrainingOutcome =
  | { stopped: true; state: Checkpoint }
  | {
    stopped: false;
    first: ValidationRecord;
    last: ValidationRecord;
    baseline: Validation;
    /** The baseline, in words (the architecture's). */
    method: string;
  };

/** Trains to the config's last step, validating with `seed`; `firstValidation` is the resumed
 * checkpoint's validation where its record is complete. */
export async function trainToEnd(
  trainer: MetaTrainer,
  events: TrainingEvents,
  seed: number,
  firstValidation?: ValidationRecord,
): Promise<TrainingOutcome> {
  const { config } = trainer;
  /** `work`'s result, or undefined as soon as a stop is asked for (the work is abandoned). */
  const unlessStopped = <T>(work: Promise<T>): Promise<T | undefined> => {
    work.catch(() => {}); // an abandoned step's failure no longer matters
    return Promise.race([work, events.stopped]);
  };
  const validate = async (): Promise<ValidationRecord> => {
    const result = await trainer.validate(seed);
    const record = { type: "validation" as const, step: trainer.outerStep, ...result };
    await events.log(record);
    events.validated(record);
    return record;
  };
  /** The trainer's state after its last finished step: what a stop saves. */
  let state = trainer.checkpoint();
  const stop = (): TrainingOutcome => ({ stopped: true, state });
  if (firstValidation !== undefined) events.validated(firstValidation);
  const first = firstValidation ?? await unlessStopped(validate());
  if (first === undefined) return stop();
  let last = first;
  while (trainer.outerStep < config.steps) {
    const step = await unlessStopped(trainer.step());
    if (step === undefined) return stop();
    await events.log({ type: "step", ...step });
    events.stepped(step);
    if (!trainer.checkpoint().theta.every(Number.isFinite)) {
      // Saving it would fail (checkpoints hold finite weights); the last checkpoint saved, if
      // any, stays.
      throw new UserError(
        `training diverged at outer step ${step.step}: theta is no longer finite; lower the ` +
          "config's learningRate (or sigma)",
      );
    }
    state = trainer.checkpoint();
    if (events.stopAsked()) return stop();
    if (trainer.outerStep % config.checkpointEvery === 0 || trainer.outerStep === config.steps) {
      await events.save(state);
      const validation = await unlessStopped(validate());
      if (validation === undefined) return stop();
      last = validation;
    }
  }
  const baseline = await unlessStopped(trainer.baseline(seed));
  if (baseline === undefined) return stop();
  const method = trainer.baselineName;
  await events.log({ type: "baseline", step: trainer.outerStep, method, ...baseline });
  return { stopped: false, first, last, baseline, method };
}
