/**
 * Meta-training configuration, as data (configs/*.json). Every field is checked, each number for
 * its type and range, and a mistake is a UserError naming the field. `checkDeviceLimits` then
 * checks, before any GPU work, that the population's buffers fit the adapter.
 */
import { UserError } from "../core/errors.ts";
import { quoted } from "../core/quote.ts";
import { MAX_MAGNITUDE, MIN_MAGNITUDE, withinMagnitude } from "../core/numbers.ts";
import { layoutWords } from "../core/layout.ts";
import { REPLICA_LAYOUT } from "../methods/kernel_layout.ts";
import { type BatchLimits, checkBatchFits } from "../methods/optimizer_batch.ts";
import { trainingReference } from "../potentials/known_minima.ts";
import { parseSystem } from "../systems/system.ts";
import { familyGroups } from "./coverage.ts";
import { PARAMETER_COUNT } from "./architecture.ts";
import { ARCHITECTURES, DEFAULT_ARCHITECTURE } from "./architectures.ts";
import { LEARNED_ENERGY_SCALE } from "./learned_optimizer.ts";
import { parseSchedule, type ScheduleConfig } from "./schedule.ts";

const MAX_U32 = 2 ** 32 - 1;

/**
 * The most bytes any WebGPU adapter binds as one storage buffer: Vulkan's maxStorageBufferRange
 * and wgpu's maxStorageBufferBindingSize are 32-bit, so under 4 GiB (adapters may offer less;
 * checkDeviceLimits checks the actual one).
 */
const MAX_BINDING_BYTES = MAX_U32;

/**
 * Most antithetic pairs P: the weights of the whole population, (2P + 1) x PARAMETER_COUNT f32,
 * are one storage binding (877,239 pairs for the 612-parameter network, the largest
 * architecture).
 */
export const MAX_PAIRS = Math.floor((MAX_BINDING_BYTES / (4 * PARAMETER_COUNT) - 1) / 2);

/** Most replicas (2P + 1) x tasksPerStep: their records are one storage binding too. */
export const MAX_REPLICAS = Math.floor(MAX_BINDING_BYTES / (4 * layoutWords(REPLICA_LAYOUT)));

/** Outer steps are counted, and stored in checkpoints, as exact integers. */
export const MAX_STEPS = Number.MAX_SAFE_INTEGER;

/** Meta-losses (meta_train.ts): the mean best energy above the known minimum per atom after the
 * unroll, or the fraction of tasks not yet within the tolerance of it, averaged over budgets
 * spread evenly up to the unroll, plus `gapWeight` times that gap (what eval measures). */
export const LOSSES = ["gap", "success"] as const;
export const DRAWS = ["uniform", "family"] as const;
export type DrawKind = typeof DRAWS[number];
export type LossKind = typeof LOSSES[number];

export interface TrainConfig {
  /** A label for runs and checkpoints. */
  name: string;
  /** The learned optimizer's architecture (architectures.ts). */
  architecture: string;
  /** The task family: system names; each outer step draws `systemsPerStep` of them (without
   * replacement) and `tasksPerStep` starts of each. */
  systems: string[];
  systemsPerStep: number;
  /** How a step's systems are drawn: "uniform", systemsPerStep of the whole list; "family",
   * systemsPerStep of each family in the list (coverage.ts), so that every family is in every
   * step however few systems it has. */
  draw: DrawKind;
  /** Each system's member losses divided by their standard deviation over the population before
   * the systems are averaged, so every system of a step weighs the same in the ES gradient
   * whatever its loss's scale (a system no replica solves moves the success loss only through its
   * small gap term); a system whose members all score alike is left out of that step's gradient.
   * The losses reported stay as measured. */
  normalise: boolean;
  tasksPerStep: number;
  loss: LossKind;
  /** success: how many budgets (the unroll split evenly) the success is averaged over. */
  budgets: number;
  /** success: the weight of the gap per atom added to the failure fraction. */
  gapWeight: number;
  /** Antithetic pairs P: the population is the centre and P pairs theta +- sigma e. */
  pairs: number;
  /** Evaluations per replica in one unroll (the inner optimization's length). */
  unroll: number;
  /** Outer (meta-training) steps. */
  steps: number;
  sigma: ScheduleConfig;
  learningRate: ScheduleConfig;
  /** ESMC: clip each member's loss at the centre's (min(L+-, L0)). */
  clipToCentre: boolean;
  /** Outer optimizer: adam or sgd, with the gradient clipped to this global norm. */
  outer: "adam" | "sgd";
  clipNorm: number;
  /** Seeds the initial weights, the ES noise and the tasks. */
  seed: number;
  /** Standard deviation scale of the initial weights (architecture.ts). */
  initScale: number;
  /** Largest atom displacement per step, in bond lengths. */
  maxStep: number;
  /** Write a checkpoint every this many outer steps (and at the end). */
  checkpointEvery: number;
  /** Fine-tuning: the checkpoint whose weights the run starts from instead of the architecture's
   * initial ones (Adam's moments, the step count and the random stream start afresh), as the
   * config names it: a shipped checkpoint's name or a path relative to the config's folder
   * (tasks/train.ts resolves it). Undefined: a run from scratch. */
  start?: string;
}

export function parseTrainConfig(json: unknown, source = "config"): TrainConfig {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new UserError(`${source}: expected a JSON object`);
  }
  const raw = json as Record<string, unknown>;
  const known = [
    "name",
    "architecture",
    "systems",
    "systemsPerStep",
    "draw",
    "normalise",
    "loss",
    "budgets",
    "gapWeight",
    "tasksPerStep",
    "pairs",
    "unroll",
    "steps",
    "sigma",
    "learningRate",
    "clipToCentre",
    "outer",
    "clipNorm",
    "seed",
    "initScale",
    "maxStep",
    "checkpointEvery",
    "start",
  ];
  for (const key of Object.keys(raw)) {
    if (!known.includes(key)) throw new UserError(`${source}: unknown field ${quoted(key)}`);
  }
  const integer = (key: string, min: number, max: number) => {
    const value = raw[key];
    if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
      throw new UserError(`${source}: ${key} must be an integer from ${min} to ${max}`);
    }
    return value as number;
  };
  const positive = (key: string) => {
    const value = raw[key];
    if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value)) {
      throw new UserError(`${source}: ${key} must be a positive number`);
    }
    return value;
  };
  /** Within what the f32 kernels hold (core/numbers.ts): maxStep and initScale reach them, and
   * the other real settings are kept to the same range. */
  const positiveF32 = (key: string) => {
    const value = positive(key);
    if (!withinMagnitude(value)) {
      throw new UserError(
        `${source}: ${key} must be a number from ${MIN_MAGNITUDE} to ${MAX_MAGNITUDE}`,
      );
    }
    return value;
  };
  if (!Array.isArray(raw.systems) || raw.systems.length === 0) {
    throw new UserError(`${source}: systems must be a non-empty list of system names`);
  }
  const systems = raw.systems.map((name) => {
    if (typeof name !== "string") throw new UserError(`${source}: systems must be strings`);
    try {
      parseSystem(name);
    } catch (error) {
      throw new UserError(`${source}: ${(error as Error).message}`);
    }
    return name;
  });
  if (raw.outer !== "adam" && raw.outer !== "sgd") {
    throw new UserError(`${source}: outer must be "adam" or "sgd"`);
  }
  if (typeof raw.clipToCentre !== "boolean") {
    throw new UserError(`${source}: clipToCentre must be true or false`);
  }
  // The name becomes a folder name (runs/train-NAME): no separators, nothing hidden, no control
  // characters; spaces are fine.
  if (
    typeof raw.name !== "string" || !/^[^./\\\-\s][^/\\\p{Cc}]{0,63}$/u.test(raw.name) ||
    raw.name.includes("..")
  ) {
    throw new UserError(
      `${source}: name must be 1 to 64 characters without / or \\ or "..", not starting with . or -`,
    );
  }
  const architecture = raw.architecture ?? DEFAULT_ARCHITECTURE;
  if (typeof architecture !== "string" || !(architecture in ARCHITECTURES)) {
    throw new UserError(
      `${source}: architecture must be one of ${Object.keys(ARCHITECTURES).join(", ")}`,
    );
  }
  const loss = raw.loss ?? "gap";
  if (!(LOSSES as readonly unknown[]).includes(loss)) {
    throw new UserError(`${source}: loss must be one of ${LOSSES.join(", ")}`);
  }
  if (loss === "success") {
    const unknown = systems.find((name) =>
      trainingReference(parseSystem(name).known) === undefined
    );
    if (unknown !== undefined) {
      throw new UserError(
        `${source}: loss "success" needs each system's known global minimum or pooled reference; ` +
          `${unknown} has neither (make one: deno task reference ${unknown})`,
      );
    }
  }
  const optional = <T>(key: string, fallback: T, read: (key: string) => T): T =>
    raw[key] === undefined ? fallback : read(key);
  const start = optional<string | undefined>("start", undefined, (key) => {
    const value = raw[key];
    if (typeof value !== "string" || value === "") {
      throw new UserError(`${source}: ${key} must name a checkpoint (a shipped name or a path)`);
    }
    return value;
  });
  const draw = raw.draw ?? "uniform";
  if (!(DRAWS as readonly unknown[]).includes(draw)) {
    throw new UserError(`${source}: draw must be one of ${DRAWS.join(", ")}`);
  }
  // Drawn without replacement: at most the smallest family's systems (by family), or all.
  const most = draw === "family"
    ? Math.min(...familyGroups(systems.map((name) => parseSystem(name))).map((g) => g.length))
    : systems.length;
  const systemsPerStep = optional("systemsPerStep", 1, (key) => integer(key, 1, most));
  const normalise = optional("normalise", false, (key) => {
    if (typeof raw[key] !== "boolean") {
      throw new UserError(`${source}: ${key} must be true or false`);
    }
    return raw[key] as boolean;
  });
  const budgets = optional("budgets", 4, (key) => integer(key, 1, 64));
  const gapWeight = optional("gapWeight", 0.1, (key) => {
    const value = raw[key];
    if (typeof value !== "number" || !(value >= 0) || !withinMagnitude(value, true)) {
      throw new UserError(
        `${source}: ${key} must be 0 or a number from ${MIN_MAGNITUDE} to ${MAX_MAGNITUDE}`,
      );
    }
    return value;
  });
  const pairs = integer("pairs", 1, MAX_PAIRS);
  const tasksPerStep = integer("tasksPerStep", 1, MAX_REPLICAS);
  if ((2 * pairs + 1) * tasksPerStep > MAX_REPLICAS) {
    throw new UserError(
      `${source}: (2 pairs + 1) x tasksPerStep = ${(2 * pairs + 1) * tasksPerStep} replicas ` +
        `exceeds ${MAX_REPLICAS}, more than a WebGPU storage binding holds`,
    );
  }
  return {
    name: raw.name,
    architecture,
    systems,
    systemsPerStep,
    draw: draw as DrawKind,
    normalise,
    tasksPerStep,
    loss: loss as LossKind,
    budgets,
    gapWeight,
    pairs,
    // Evaluation counters are u32 on the GPU.
    unroll: integer("unroll", 2, MAX_U32),
    steps: integer("steps", 1, MAX_STEPS),
    sigma: parseSchedule(raw.sigma, `${source}: sigma`),
    learningRate: parseSchedule(raw.learningRate, `${source}: learningRate`),
    clipToCentre: raw.clipToCentre,
    outer: raw.outer,
    clipNorm: positiveF32("clipNorm"),
    // The generators take u32 seeds (larger ones would alias smaller ones).
    seed: integer("seed", 0, MAX_U32),
    initScale: positiveF32("initScale"),
    maxStep: positiveF32("maxStep"),
    checkpointEvery: integer("checkpointEvery", 1, MAX_STEPS),
    ...(start === undefined ? {} : { start }),
  };
}

/**
 * A UserError naming the limit, the buffer and the system unless the training batch of every
 * system of the family fits the adapter: (2P + 1) x tasksPerStep replicas of the learned optimizer
 * with one weight vector per member (checkBatchFits). The FIRE baseline's batch has as many
 * replicas and fewer planes, so it fits when this does.
 */
export function checkDeviceLimits(
  config: TrainConfig,
  limits: BatchLimits,
  adapter: string,
  source = "config",
): void {
  const members = 2 * config.pairs + 1;
  const architecture = ARCHITECTURES[config.architecture];
  for (const name of config.systems) {
    const system = parseSystem(name);
    const spec = architecture.spec(system, {
      maxStep: config.maxStep * system.bondLength,
      fmax: 1e-3,
      containerRadius: 0,
      energyScale: LEARNED_ENERGY_SCALE,
    });
    try {
      checkBatchFits(limits, adapter, system, members * config.tasksPerStep, {
        spec,
        weightVectors: members,
      });
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      throw new UserError(
        `${source}: ${config.pairs} pairs x ${config.tasksPerStep} tasks: ${error.message}; ` +
          "lower pairs or tasksPerStep",
      );
    }
  }
}
