/**
 * deno task train: meta-trains the learned optimizer with antithetic ES (src/learned/).
 *
 *   deno task train [--config configs/default.json] [--out DIR] [--steps N]
 *   deno task train --resume DIR [--steps N]
 */
import { parseArgs } from "node:util";
import { positiveNumber, runTask } from "../src/cli/args.ts";
import { UserError } from "../src/core/errors.ts";
import { Gpu } from "../src/gpu/device.ts";
import { ARCHITECTURE } from "../src/learned/architecture.ts";
import { loadCheckpoint, saveCheckpoint } from "../src/learned/checkpoint.ts";
import { FEATURE_NAMES } from "../src/learned/features.ts";
import { MetaTrainer, type StepMetrics, type Validation } from "../src/learned/meta_train.ts";
import { parseTrainConfig, type TrainConfig } from "../src/learned/train_config.ts";

const DEFAULT_CONFIG = "configs/default.json";
const CHECKPOINT = "checkpoint.safetensors";
const METRICS = "metrics.jsonl";
/** Validation tasks are the same at every evaluation of a run. */
const VALIDATION_SEED = 20211;

const HELP = `Usage: deno task train [options]

Meta-trains the learned optimizer (a per-atom MLP run inside the fused GPU kernel) with
antithetic evolution strategies on a task family, and writes checkpoints.

Options:
  --config FILE    training configuration (default: ${DEFAULT_CONFIG}); see configs/
  --out DIR        output folder (default: runs/train-NAME, or runs/train-NAME-2, ... when
                   that one holds a run): ${CHECKPOINT}, ${METRICS}
  --resume DIR     continue the run in DIR exactly where its checkpoint left it
  --steps N        train until N outer steps in all (default: the config's steps)
  --json           print a JSON summary on stdout at the end
  -h, --help       this text

Progress: one line per outer step (meta-loss of theta and of the population mean, best energy,
gradient norm, evaluations per second, ETA). The validation loss, theta's mean (best energy -
known minimum) per atom on fixed tasks of every system in the family, is measured at the start,
at every checkpoint and at the end, and at the end beside FIRE with random restarts given the
same evaluations on the same tasks. Ctrl-C finishes the step in flight, saves a checkpoint and
exits with status 130. Exit status 2 for a bad config, option or checkpoint.`;

interface ValidationRecord extends Validation {
  type: "validation";
  step: number;
}

await runTask(async () => {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      config: { type: "string" },
      out: { type: "string" },
      resume: { type: "string" },
      steps: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  if (values.resume !== undefined && (values.config !== undefined || values.out !== undefined)) {
    throw new UserError("--resume continues a run with its own config and folder");
  }
  const expected = { architecture: ARCHITECTURE, features: [...FEATURE_NAMES] };
  const checkpoint = values.resume === undefined
    ? undefined
    : await loadCheckpoint(`${values.resume}/${CHECKPOINT}`, expected);
  const config = checkpoint
    ? parseTrainConfig(checkpoint.config, `${values.resume}/${CHECKPOINT}`)
    : await readConfig(values.config ?? DEFAULT_CONFIG);
  if (values.steps !== undefined) {
    const steps = positiveNumber("steps", values.steps);
    if (!Number.isInteger(steps)) throw new UserError("--steps must be an integer");
    config.steps = steps;
  }
  const out = values.resume ?? values.out ?? await freeDirectory(`runs/train-${config.name}`);
  if (values.out !== undefined && await exists(`${values.out}/${CHECKPOINT}`)) {
    throw new UserError(
      `${values.out} already holds a run; continue it with --resume ${values.out}, or choose ` +
        "another --out",
    );
  }
  await Deno.mkdir(out, { recursive: true });

  const gpu = await Gpu.open({ log: values.json ? null : undefined });
  const trainer = new MetaTrainer(gpu, config, checkpoint);
  const metrics = await Deno.open(`${out}/${METRICS}`, { append: true, create: true });
  const log = async (record: object) => {
    await metrics.write(new TextEncoder().encode(JSON.stringify(record) + "\n"));
  };
  const save = () => saveCheckpoint(`${out}/${CHECKPOINT}`, trainer.checkpoint());
  const validate = async (): Promise<ValidationRecord> => {
    const result = await trainer.validate(VALIDATION_SEED);
    const record = { type: "validation" as const, step: trainer.outerStep, ...result };
    await log(record);
    console.error(`validation at step ${record.step}: loss ${record.loss.toFixed(5)} per atom`);
    return record;
  };

  let interrupted = false;
  const onInterrupt = () => {
    if (interrupted) Deno.exit(130);
    interrupted = true;
    console.error("\ninterrupted: finishing this step and saving (Ctrl-C again to quit now)");
  };
  Deno.addSignalListener("SIGINT", onInterrupt);
  const started = performance.now();
  const firstStep = trainer.outerStep;
  try {
    const first = await validate();
    let last = first;
    while (trainer.outerStep < config.steps && !interrupted) {
      const step = await trainer.step();
      await log({ type: "step", ...step });
      console.error(progressLine(step, config, firstStep, started));
      if (trainer.outerStep % config.checkpointEvery === 0 || trainer.outerStep === config.steps) {
        await save();
        last = await validate();
      }
    }
    if (interrupted) {
      await save();
      last = await validate();
    }
    const baseline = await trainer.baseline(VALIDATION_SEED);
    await log({ type: "baseline", method: "FIRE with random restarts", ...baseline });
    const summary = {
      out,
      config: config.name,
      outerStep: trainer.outerStep,
      validationLoss: { start: first.loss, end: last.loss, fireWithRestarts: baseline.loss },
      perSystem: {
        start: first.perSystem,
        end: last.perSystem,
        fireWithRestarts: baseline.perSystem,
      },
      seconds: (performance.now() - started) / 1000,
      adapter: gpu.adapterName,
    };
    if (values.json) console.log(JSON.stringify(summary, null, 2));
    else {
      console.log(
        `${config.name}: ${trainer.outerStep} outer steps; validation loss ` +
          `${first.loss.toFixed(5)} -> ${last.loss.toFixed(5)} per atom ` +
          `(FIRE with restarts at the same ${config.unroll} evaluations: ` +
          `${baseline.loss.toFixed(5)}); checkpoint ${out}/${CHECKPOINT}`,
      );
    }
  } finally {
    Deno.removeSignalListener("SIGINT", onInterrupt);
    metrics.close();
    trainer.destroy();
  }
  if (interrupted) Deno.exit(130);
});

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** `base`, or `base-2`, `base-3`, ... : the first that holds no run, so no run is overwritten. */
async function freeDirectory(base: string): Promise<string> {
  for (let k = 1;; k++) {
    const candidate = k === 1 ? base : `${base}-${k}`;
    if (!await exists(`${candidate}/${CHECKPOINT}`)) return candidate;
  }
}

async function readConfig(path: string): Promise<TrainConfig> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new UserError(`cannot read ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UserError(`${path}: not JSON (${(error as Error).message})`);
  }
  return parseTrainConfig(json, path);
}

function progressLine(
  step: StepMetrics,
  config: TrainConfig,
  firstStep: number,
  started: number,
): string {
  const elapsed = (performance.now() - started) / 1000;
  const perStep = elapsed / (step.step - firstStep);
  const eta = Math.round(perStep * (config.steps - step.step));
  return [
    `step ${step.step}/${config.steps}`,
    step.system.padEnd(5),
    `loss ${step.centreLoss.toFixed(4)} (population ${step.populationLoss.toFixed(4)})`,
    `best ${step.centreBestEnergy.toFixed(4)}`,
    `|g| ${step.gradientNorm.toFixed(3)}`,
    `pairs ${step.validPairs}/${config.pairs}`,
    `${step.evaluationsPerSecond.toExponential(2)} evals/s`,
    `ETA ${Math.floor(eta / 60)}:${String(eta % 60).padStart(2, "0")}`,
  ].join("  ");
}
