/**
 * Meta-training configuration, as data (configs/*.json). Every field is checked, and a mistake
 * is a UserError naming the field.
 */
import { UserError } from "../core/errors.ts";
import { parseSystem } from "../systems/system.ts";
import { parseSchedule, type ScheduleConfig } from "./schedule.ts";

export interface TrainConfig {
  /** A label for runs and checkpoints. */
  name: string;
  /** The task family: system names; each outer step draws one and `tasksPerStep` starts of it. */
  systems: string[];
  tasksPerStep: number;
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
}

export function parseTrainConfig(json: unknown, source = "config"): TrainConfig {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new UserError(`${source}: expected a JSON object`);
  }
  const raw = json as Record<string, unknown>;
  const known = [
    "name",
    "systems",
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
  ];
  for (const key of Object.keys(raw)) {
    if (!known.includes(key)) throw new UserError(`${source}: unknown field '${key}'`);
  }
  const integer = (key: string, min: number) => {
    const value = raw[key];
    if (!Number.isInteger(value) || (value as number) < min) {
      throw new UserError(`${source}: ${key} must be an integer >= ${min}`);
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
  if (typeof raw.name !== "string" || raw.name === "") {
    throw new UserError(`${source}: name must be a non-empty string`);
  }
  return {
    name: raw.name,
    systems,
    tasksPerStep: integer("tasksPerStep", 1),
    pairs: integer("pairs", 1),
    unroll: integer("unroll", 2),
    steps: integer("steps", 1),
    sigma: parseSchedule(raw.sigma, `${source}: sigma`),
    learningRate: parseSchedule(raw.learningRate, `${source}: learningRate`),
    clipToCentre: raw.clipToCentre,
    outer: raw.outer,
    clipNorm: positive("clipNorm"),
    seed: integer("seed", 0),
    initScale: positive("initScale"),
    maxStep: positive("maxStep"),
    checkpointEvery: integer("checkpointEvery", 1),
  };
}
