/**
 * deno task train: meta-trains the learned optimizer with antithetic ES (src/learned/).
 *
 *   deno task train [--config configs/default.json] [--out DIR] [--steps N]
 *   deno task train --resume DIR [--steps N]
 *   deno task train ... --redis redis://HOST:PORT   (the GPU work on workers: deno task worker)
 */
import { parseJsonText, readInputText } from "../src/io/input_files.ts";
import { parseArgs } from "node:util";
import { dirname, isAbsolute, join } from "node:path";
import {
  integerFlag,
  LAYOUT_OPTION,
  layoutFlag,
  layoutHelp,
  REDIS_OPTION,
  redisHelp,
  runCommand,
} from "../src/cli/args.ts";
import { command } from "../src/cli/program.ts";
import { displayPath, projectFile, shippedNames, shippedOrPath } from "../src/cli/project.ts";
import { StopSignals } from "../src/cli/stop_signals.ts";
import { UserError } from "../src/core/errors.ts";
import { quoted } from "../src/core/quote.ts";
import { Gpu } from "../src/gpu/device.ts";
import { openForAppend, writeFileAtomic } from "../src/io/output_files.ts";
import { RunFolder } from "../src/io/run_folder.ts";
import {
  checkMatches,
  type Checkpoint,
  loadCheckpoint,
  saveCheckpoint,
} from "../src/learned/checkpoint.ts";
import { architectureOf, checkUsableWeights } from "../src/learned/learned_optimizer.ts";
import { MetaTrainer, type StepMetrics } from "../src/learned/meta_train.ts";
import { trainToEnd, type ValidationRecord } from "../src/learned/training_loop.ts";
import { LocalTrainingWork, type TrainingWork } from "../src/learned/training_work.ts";
import { distributedRun, RUN_FILE } from "../src/distributed/distributed_run.ts";
import { parseRedisUrl, type RedisTarget } from "../src/distributed/redis_url.ts";
import {
  checkDeviceLimits,
  MAX_STEPS,
  parseTrainConfig,
  type TrainConfig,
} from "../src/learned/train_config.ts";
import { parseSystem } from "../src/systems/system.ts";
import type { ThreadLayout } from "../src/gpu/thread_layout.ts";
import { RedisTrainingWork } from "../src/distributed/redis_training_work.ts";

/** A config is a few hundred bytes; a larger file is not one. */
const MAX_CONFIG_BYTES = 2 ** 20;
/** The default config, in the project (src/cli/project.ts). */
const DEFAULT_CONFIG = "configs/default.json";
const CHECKPOINT = "checkpoint.safetensors";
const METRICS = "metrics.jsonl";
/** Validation tasks are the same at every evaluation of a run. */
const VALIDATION_SEED = 20211;

const HELP = `Usage: ${command("train")} [options]

Meta-trains a learned optimizer with antithetic evolution strategies on a task family, and
writes checkpoints. The default config trains the general hopper (hop-general: a residual on
basin hopping that sees features telling its families apart) on Lennard-Jones, one-metal and
two-metal Gupta clusters in a few minutes; configs/general-hopper.json is the config of the
shipped checkpoints/general-hopper.safetensors, and lj-small.json trains the per-atom MLP.

Options:
  --config FILE    training configuration (default: the project's ${DEFAULT_CONFIG}), or
                   the name of a shipped one: ${shippedNames("configs", ".json").join(", ")}
  --out DIR        output folder, new or empty and not in use (default:
                   runs/train-NAME of the folder this runs in, or runs/train-NAME-2, ... when
                   that one is taken): ${CHECKPOINT}, ${METRICS}
  --resume DIR     continue the run in DIR exactly where its checkpoint left it (${METRICS}
                   is cut back to the checkpoint's step first); a finished run is refused
                   unless --steps asks for more
  --steps N        train until N outer steps in all (default: the config's steps)
  --json           print a JSON summary on stdout at the end
${redisHelp(19, `run the GPU work on the workers of this Redis (${command("worker")})`)}
${layoutHelp(19)}
  -h, --help       this text

A config with "start": CHECKPOINT (a shipped checkpoint's name, or a path relative to the
config's folder) fine-tunes that checkpoint's weights, which must be of the config's
architecture. configs/hopper.json fine-tunes the general hopper on every family: "draw":
"family" puts systemsPerStep systems of each family in every step, and "normalise": true
divides each system's losses by their spread over the population, so that every system weighs
the same in the gradient (silicon's success loss moves only through its small gap term).

Progress: one line per outer step (meta-loss of theta and of the population mean, best energy,
gradient norm, the ES estimate's signal-to-noise ratio (about 1: noise), evaluations per
second, ETA). The validation loss, theta's meta-loss on fixed tasks of every system in the
family (config "loss": gap, the mean (best energy - known minimum) per atom; success, the
fraction of tasks not yet at the known minimum over several budgets plus a small gap), is
measured at the start, at every checkpoint and at the end, and at the end beside the
hand-designed method the architecture starts from (per-atom-mlp and fire-residual: FIRE with
random restarts; hop-residual and hop-general: basin hopping, theta = 0) given the same
evaluations on the same tasks; the last line says which is better. Ctrl-C or SIGTERM abandons the work in flight,
saves a checkpoint of the last finished step and exits at once with status 130 (SIGINT) or 143
(SIGTERM); a second signal does not interrupt the save. Exit status 2 for a bad config, option,
output folder or checkpoint, before any GPU work, or a Redis that cannot be reached or refuses
the password.

With --redis this machine needs no GPU: each step's population is cut into slices that the
workers run, and the trajectory is the same bits as on one machine with the workers' adapter,
however many workers there are; the progress line adds the workers and the coordination
overhead (the step's time beyond the busiest worker's computing). A run resumed with --resume
and --redis takes up the results its workers sent while it was away.`;

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: "string" },
      out: { type: "string" },
      resume: { type: "string" },
      steps: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
      ...LAYOUT_OPTION,
      ...REDIS_OPTION,
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const layout = layoutFlag(values.layout);
  const redis = values.redis === undefined ? undefined : parseRedisUrl(values.redis);
  if (values.resume !== undefined && (values.config !== undefined || values.out !== undefined)) {
    throw new UserError("--resume continues a run with its own config and folder");
  }
  const steps = values.steps === undefined
    ? undefined
    : integerFlag("steps", values.steps, 1, MAX_STEPS);
  const { folder, config, checkpoint, history, source, startTheta } = values.resume === undefined
    ? await newRun(values.config, values.out, steps)
    : { ...await resumedRun(values.resume, steps), startTheta: undefined };
  const out = folder.path;
  const checkpointPath = `${out}/${CHECKPOINT}`;
  const metricsPath = `${out}/${METRICS}`;

  let onStop = () => {};
  const stopped = new Promise<undefined>((resolve) => onStop = () => resolve(undefined));
  const signals = new StopSignals((name) => {
    onStop();
    console.error(`\n${name}: saving a checkpoint and stopping`);
  });
  let trainer: MetaTrainer | undefined;
  let metrics: Deno.FsFile | undefined;
  try {
    trainer = new MetaTrainer(
      await trainingWork(redis, out, config, source, layout, values.json),
      config,
      checkpoint,
      startTheta,
    );
    metrics = await openForAppend(metricsPath);
    await train(trainer, metrics, {
      config,
      out,
      checkpointPath,
      firstValidation: checkpoint && validationAt(history, checkpoint.outerStep),
      stopped,
      signals,
      json: values.json,
      release: () => folder.release(),
    });
  } finally {
    signals.dispose();
    metrics?.close();
    trainer?.destroy();
    await folder.release();
  }
}

/** What claims a training run's folder (src/io/run_folder.ts). */
const TRAIN_FOLDER = {
  savedState: [CHECKPOINT],
  leftovers: [METRICS, RUN_FILE],
  what: "a training run",
  resumeHint: (dir: string) => command("train", "--resume", dir),
};

/** A new run's config (--config, a file or a shipped config's name) and its claimed folder
 * (--out, or the first free runs/train-NAME[-K]), before any GPU work. */
async function newRun(configFlag: string | undefined, outFlag: string | undefined, steps?: number) {
  const source = configFlag === undefined
    ? projectFile(DEFAULT_CONFIG)
    : await shippedOrPath(configFlag, "configs", ".json");
  const config = await readConfig(source);
  if (steps !== undefined) config.steps = steps;
  const startTheta = config.start === undefined ? undefined : await startWeights(config, source);
  const folder = outFlag === undefined
    ? await RunFolder.claimFree(`runs/train-${config.name}`, {
      ...TRAIN_FOLDER,
      flag: "the default output folder",
    })
    : await RunFolder.claimNew(outFlag, { ...TRAIN_FOLDER, flag: "--out" });
  return {
    folder,
    config,
    checkpoint: undefined,
    history: [],
    source: displayPath(source),
    startTheta,
  };
}

/** The weights a fine-tuning config starts from: its `start` checkpoint (a shipped name, or a
 * path relative to the config's folder), which must be of the config's architecture. */
async function startWeights(config: TrainConfig, source: string): Promise<Float32Array> {
  const named = config.start!;
  const shipped = await shippedOrPath(named, "checkpoints", ".safetensors");
  const path = shipped !== named || isAbsolute(named) ? shipped : join(dirname(source), named);
  const checkpoint = await loadCheckpointOfKnownArchitecture(path);
  if (checkpoint.architecture.name !== config.architecture) {
    throw new UserError(
      `${displayPath(source)}: start ${quoted(named)} is a ${checkpoint.architecture.name} ` +
        `checkpoint, not ${config.architecture} as the config trains`,
    );
  }
  return checkpoint.theta;
}

/** The run saved in `dir`, its folder claimed, with its metrics cut back to its checkpoint; a
 * finished run (its baseline recorded at its last step) is refused unless --steps goes further. */
async function resumedRun(dir: string, steps?: number) {
  const folder = await RunFolder.claimExisting(dir, { ...TRAIN_FOLDER, flag: "--resume" });
  try {
    const source = `${dir}/${CHECKPOINT}`;
    const checkpoint = await loadCheckpointOfKnownArchitecture(source);
    const config = parseTrainConfig(checkpoint.config, source);
    if (steps !== undefined) config.steps = steps;
    const history = await trimMetrics(`${dir}/${METRICS}`, checkpoint.outerStep);
    // All its steps trained: finished once its baseline is logged; left to do otherwise are its
    // last validation and baseline. Without a log nothing tells which: taken as finished.
    const step = checkpoint.outerStep;
    const baseline = history.some((r) => r.type === "baseline" && r.step === step);
    if (step >= config.steps && (baseline || history.length === 0)) {
      throw new UserError(
        `--resume ${dir}: that training run has finished (it is at step ${step}` +
          `${step > config.steps ? `, past the ${config.steps} asked` : ""}); give --steps ` +
          `above ${step} to train it further`,
      );
    }
    return { folder, config, checkpoint, history, source };
  } catch (error) {
    await folder.release();
    throw error;
  }
}

interface TrainingRun {
  config: TrainConfig;
  out: string;
  checkpointPath: string;
  /** The validation of the checkpoint resumed from, when its record is complete. */
  firstValidation: ValidationRecord | undefined;
  /** Resolves when a stop signal comes. */
  stopped: Promise<undefined>;
  signals: StopSignals;
  json: boolean;
  /** Ends the run's claim on its folder (before an exit on a signal). */
  release: () => Promise<void>;
}

/** The training loop (src/learned/training_loop.ts) with this run's metrics file, checkpoint,
 * progress lines and signals, then the verdict. A signal saves the last finished step's state and
 * exits with the signal's status. */
async function train(trainer: MetaTrainer, metrics: Deno.FsFile, run: TrainingRun) {
  const { config, out, checkpointPath, stopped, signals } = run;
  const save = (state: Checkpoint) => saveCheckpoint(checkpointPath, state);
  const lossUnit = config.loss === "gap" ? " per atom" : "";
  const started = performance.now();
  const firstStep = trainer.outerStep;
  // The ETA counts from the first step: the first validation compiles every kernel once.
  let stepsStarted: number | undefined;
  const outcome = await trainToEnd(
    trainer,
    {
      log: async (record) => {
        const bytes = new TextEncoder().encode(JSON.stringify(record) + "\n");
        for (let written = 0; written < bytes.length;) {
          written += await metrics.write(bytes.subarray(written));
        }
      },
      save,
      validated: (record) => {
        stepsStarted ??= performance.now();
        console.error(
          `validation at step ${record.step}: loss ${record.loss.toFixed(5)}${lossUnit}`,
        );
      },
      stepped: (step) => console.error(progressLine(step, config, firstStep, stepsStarted!)),
      stopped,
      stopAsked: () => signals.received !== undefined,
    },
    VALIDATION_SEED,
    run.firstValidation,
  );
  if (outcome.stopped) {
    await save(outcome.state);
    console.error(
      `checkpoint of outer step ${outcome.state.outerStep} saved in ${checkpointPath}; continue ` +
        `with ${command("train", "--resume", out)}`,
    );
    await run.release();
    // At once: the abandoned GPU work would otherwise keep the process alive until it ends.
    Deno.exit(signals.exitStatus);
  }
  const { first, last, baseline, method } = outcome;
  const unit = config.loss === "gap" ? "per atom" : "meta-loss";
  const verdict = compare(last.loss, baseline.loss, method, unit);
  const commands = nextCommands(config, checkpointPath);
  const summary = {
    out,
    checkpoint: checkpointPath,
    config: config.name,
    outerStep: trainer.outerStep,
    baselineMethod: method,
    validationLoss: { start: first.loss, end: last.loss, baseline: baseline.loss },
    perSystem: { start: first.perSystem, end: last.perSystem, baseline: baseline.perSystem },
    verdict: verdict.verdict,
    commands,
    seconds: (performance.now() - started) / 1000,
    adapter: trainer.work.adapter,
    layout: trainer.work.layout,
  };
  if (run.json) console.log(JSON.stringify(summary, null, 2));
  else {
    console.log(
      `${config.name}: ${trainer.outerStep} outer steps; validation loss ` +
        `${first.loss.toFixed(5)} -> ${last.loss.toFixed(5)}${lossUnit} ` +
        `(${method} at the same ${config.unroll} evaluations: ` +
        `${baseline.loss.toFixed(5)}); checkpoint ${checkpointPath}`,
    );
    console.log(`search with it: ${commands.search}`);
    console.log(`evaluate it:    ${commands.eval}`);
    console.log(verdict.text);
  }
}

/** The work on this machine's GPU, or (--redis) on the workers of a Redis; UserErrors before any
 * GPU work for a config that does not fit the adapter or a Redis that cannot be used. */
async function trainingWork(
  redis: RedisTarget | undefined,
  out: string,
  config: TrainConfig,
  source: string,
  layout: ThreadLayout | undefined,
  quiet: boolean,
): Promise<TrainingWork> {
  if (redis !== undefined) {
    return new RedisTrainingWork(await distributedRun(redis, out), config, layout ?? null);
  }
  const gpu = await Gpu.open({ log: quiet ? null : undefined, layout });
  checkDeviceLimits(config, gpu.device.limits, gpu.adapterName, source);
  return new LocalTrainingWork(gpu, config);
}

/**
 * Cuts metrics.jsonl back (atomically) to the history that led to the checkpoint at `outerStep`,
 * and returns its records. Records of later steps were logged by a run that stopped before its
 * next checkpoint; the resumed run logs those steps again. A record without a step (baselines
 * of older versions) belongs to the step of the record before it. Of several records of one type
 * and step (runs resumed by older versions), the last is kept: it belongs to the history that
 * continued. A symlink there is refused, as appending refuses it.
 */
async function trimMetrics(path: string, outerStep: number): Promise<Record<string, unknown>[]> {
  const info = await Deno.lstat(path).catch((error) => {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  });
  if (info === undefined) return [];
  if (info.isSymlink) {
    throw new UserError(`${path} is a symbolic link; refusing to rewrite or append through it`);
  }
  const text = await readInputText(path, "a training run's metrics log");
  const lines = text.split("\n").filter((line) => line.trim() !== "");
  let unreadable = 0;
  let step = 0;
  const records: { record: Record<string, unknown>; step: number; line: string }[] = [];
  for (const line of lines) {
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      unreadable++; // a line cut short by a kill
      continue;
    }
    if (typeof record !== "object" || record === null || Array.isArray(record)) {
      unreadable++;
      continue;
    }
    const value = (record as Record<string, unknown>).step;
    if (Number.isSafeInteger(value)) step = value as number;
    records.push({ record: record as Record<string, unknown>, step, line });
  }
  const seen = new Set<string>();
  const survivors: typeof records = [];
  for (let k = records.length - 1; k >= 0; k--) {
    const key = `${records[k].record.type} ${records[k].step}`;
    if (records[k].step > outerStep || seen.has(key)) continue;
    seen.add(key);
    survivors.push(records[k]);
  }
  survivors.reverse();
  const rewritten = survivors.map(({ line }) => `${line}\n`).join("");
  if (rewritten !== text) {
    await writeFileAtomic(path, rewritten);
    console.error(
      `${path}: kept the ${survivors.length} records up to the checkpoint's step ${outerStep}, ` +
        `dropped ${lines.length - survivors.length}` +
        (unreadable > 0 ? ` (${unreadable} unreadable)` : ""),
    );
  }
  return survivors.map(({ record }) => record);
}

/** The validation record of `step` in the history, when it is complete. */
function validationAt(
  history: Record<string, unknown>[],
  step: number,
): ValidationRecord | undefined {
  const record = history.findLast((r) => r.type === "validation" && r.step === step);
  const valid = record !== undefined && typeof record.loss === "number" &&
    typeof record.perSystem === "object" && record.perSystem !== null;
  return valid ? record as unknown as ValidationRecord : undefined;
}

/** Trained against the baseline on the validation loss, in words (lower is better). */
function compare(
  learned: number,
  baseline: number,
  baselineName: string,
  unit: string,
): { verdict: string; text: string } {
  const verdict = learned < baseline ? "better" : learned === baseline ? "equal" : "worse";
  const relation = verdict === "better"
    ? "better than"
    : verdict === "equal"
    ? "as good as"
    : "worse than";
  // Enough digits to tell the two apart.
  let digits = 3;
  while (digits < 9 && learned.toPrecision(digits) === baseline.toPrecision(digits)) digits++;
  return {
    verdict,
    text: `the trained optimizer is ${relation} ${baselineName} at equal evaluations ` +
      `(${learned.toPrecision(digits)} vs ${baseline.toPrecision(digits)} ${unit}; ` +
      "lower is better)",
  };
}

/**
 * How to use the checkpoint: a search on the family's largest system with ten unrolls (at least
 * the quick eval suite's 2000 evaluations), and the evaluation against the other methods.
 */
function nextCommands(config: TrainConfig, checkpoint: string): { search: string; eval: string } {
  const largest = config.systems.reduce((a, b) =>
    parseSystem(b).nAtoms > parseSystem(a).nAtoms ? b : a
  );
  const budget = Math.max(2000, 10 * config.unroll);
  return {
    search: command(
      "search",
      ...["--system", largest, "--method", "learned", "--checkpoint", checkpoint],
      ...["--replicas", "64", "--max-evals", String(budget)],
    ),
    eval: command("eval", "--checkpoint", checkpoint),
  };
}

/** A checkpoint of an architecture this build knows, its tensors checked against it. */
async function loadCheckpointOfKnownArchitecture(path: string): Promise<Checkpoint> {
  const checkpoint = await loadCheckpoint(path);
  checkUsableWeights(path, checkpoint.theta);
  const architecture = architectureOf(checkpoint);
  checkMatches(checkpoint, {
    architecture: architecture.description,
    features: architecture.features,
  });
  return checkpoint;
}

async function readConfig(path: string): Promise<TrainConfig> {
  const text = await readInputText(path, "a JSON training config", MAX_CONFIG_BYTES);
  return parseTrainConfig(parseJsonText(text, path, "a JSON training config"), path);
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
    `snr ${step.signalToNoise.toFixed(2)}`,
    `pairs ${step.validPairs}/${config.pairs}`,
    `${step.evaluationsPerSecond.toExponential(2)} evals/s`,
    ...(step.work === undefined ? [] : [
      `workers ${step.work.workers} (${step.work.items} items, overhead ${
        (100 * Math.max(0, 1 - step.work.busiestWorkerSeconds / step.seconds)).toFixed(1)
      }%)`,
    ]),
    `ETA ${Math.floor(eta / 60)}:${String(eta % 60).padStart(2, "0")}`,
  ].join("  ");
}

if (import.meta.main) await runCommand("train", main);
