/**
 * The work items of a distributed run and their results, and the schema a worker checks every
 * item against before it touches it. A worker runs nothing but these four kinds, each a call
 * into the project's own code with data; a malformed item (wrong format, unknown kind, a field
 * of the wrong type or out of range, a config the project refuses) is a WorkItemError, which the
 * worker logs and drops.
 *
 * Items travel as wire JSON (wire.ts), named by the hash of their text (`contentId`): the same
 * work published twice (a host resumed after a crash, a host republishing after Redis lost its
 * streams) is one item, and its result is accepted once.
 */
import { UserError } from "../core/errors.ts";
import { THREAD_LAYOUTS, type ThreadLayout } from "../gpu/thread_layout.ts";
import { ARCHITECTURES } from "../learned/architectures.ts";
import { populationSize, type SliceLosses } from "../learned/population_evaluator.ts";
import { parseTrainConfig, type TrainConfig } from "../learned/train_config.ts";
import { METHODS } from "../search/defaults.ts";
import type { SavedOptions } from "../search/search_state.ts";
import { parseSystem } from "../systems/system.ts";
import { decodeWire, type WireError } from "./wire.ts";

export const WORK_FORMAT = "learn2hop-work/1";
/** The largest item a worker reads (a search's given starts are the bulk of the largest). */
export const MAX_ITEM_BYTES = 64 * 2 ** 20;

interface ItemBase {
  format: typeof WORK_FORMAT;
  /** The run (host) the item belongs to; its results go to that run's stream. */
  run: string;
  /** The thread layout to run in; null: the worker's adapter's default. */
  layout: ThreadLayout | null;
}

/** Members [first, first + count) of outer step `step`'s population on one system. */
export interface TrainSliceItem extends ItemBase {
  kind: "train-slice";
  config: TrainConfig;
  step: number;
  theta: Float32Array;
  noiseState: Uint32Array;
  sigma: number;
  system: string;
  taskSeed: number;
  first: number;
  count: number;
}

/** Theta's meta-loss on one system's validation tasks. */
export interface TrainValidationItem extends ItemBase {
  kind: "train-validation";
  config: TrainConfig;
  theta: Float32Array;
  seed: number;
  system: string;
}

/** The hand-designed baseline's meta-loss on one system's validation tasks. */
export interface TrainBaselineItem extends ItemBase {
  kind: "train-baseline";
  config: TrainConfig;
  seed: number;
  system: string;
}

/** One search of an evaluation (a system x method shard, or a tuning point). */
export interface SearchItem extends ItemBase {
  kind: "search";
  options: SavedOptions;
  /** Given starts (replicas x 3 N), or null for the seeded random ones. */
  starts: Float64Array | null;
  /** The learned optimizer of the learned method, or null. */
  learned: { architecture: string; weights: Float32Array; maxStepBondLengths: number } | null;
}

export type WorkItem = TrainSliceItem | TrainValidationItem | TrainBaselineItem | SearchItem;
export type WorkKind = WorkItem["kind"];

/** What a worker sends back for an item. */
export interface WorkResult {
  format: typeof WORK_FORMAT;
  /** The item's content id. */
  id: string;
  worker: string;
  /** The worker's adapter and the layout it ran in. */
  adapter: string;
  layout: ThreadLayout;
  /** Seconds the worker spent on the item. */
  seconds: number;
  outcome:
    | { ok: true; value: unknown }
    /** `user`: the project refused the work as a user mistake (a UserError: it cannot fit this
     * adapter, say); otherwise the work failed. */
    | { ok: false; user: boolean; message: string };
}

/** The value of a train-slice result. */
export type SliceValue = SliceLosses;

export class WorkItemError extends Error {
  override name = "WorkItemError";
}

const U32 = 2 ** 32 - 1;

/** The item `text` holds, checked field by field; a WorkItemError says what is wrong. */
export function parseWorkItem(text: string): WorkItem {
  if (text.length > MAX_ITEM_BYTES) throw new WorkItemError(`item of ${text.length} bytes`);
  let value: unknown;
  try {
    value = decodeWire(text);
  } catch (error) {
    throw new WorkItemError((error as WireError).message);
  }
  const item = record(value, "item");
  if (item.format !== WORK_FORMAT) {
    throw new WorkItemError(`format ${JSON.stringify(item.format)}, expected ${WORK_FORMAT}`);
  }
  text_(item, "run", /^[\w-]{1,64}$/);
  if (item.layout !== null && !THREAD_LAYOUTS.includes(item.layout as ThreadLayout)) {
    throw new WorkItemError(`layout ${JSON.stringify(item.layout)}`);
  }
  switch (item.kind) {
    case "train-slice": {
      const config = trainConfig(item);
      integer(item, "step", 0, Number.MAX_SAFE_INTEGER);
      weights(item, "theta", config.architecture);
      const state = typed(item, "noiseState", Uint32Array, 4);
      if (state.every((word) => word === 0)) throw new WorkItemError("noiseState is all zero");
      positive(item, "sigma");
      trainingSystem(item, config);
      integer(item, "taskSeed", 0, U32);
      const members = populationSize(config);
      const first = integer(item, "first", 0, members - 1);
      integer(item, "count", 1, members - first);
      return item as unknown as TrainSliceItem;
    }
    case "train-validation": {
      const config = trainConfig(item);
      weights(item, "theta", config.architecture);
      integer(item, "seed", 0, U32);
      trainingSystem(item, config);
      return item as unknown as TrainValidationItem;
    }
    case "train-baseline": {
      const config = trainConfig(item);
      integer(item, "seed", 0, U32);
      trainingSystem(item, config);
      return item as unknown as TrainBaselineItem;
    }
    case "search": {
      const options = record(item.options, "options");
      const system = systemName(options, "system");
      if (!METHODS.includes(options.method as typeof METHODS[number])) {
        throw new WorkItemError(`options.method ${JSON.stringify(options.method)}`);
      }
      const replicas = integer(options, "replicas", 1, U32);
      for (const name of ["maxEvaluations", "syncEvery", "logCapacity", "keep"]) {
        integer(options, name, 1, U32);
      }
      integer(options, "seed", 0, U32);
      record(options.settings, "options.settings");
      record(options.sweeps, "options.sweeps");
      if (typeof options.stopAtKnown !== "boolean") throw new WorkItemError("options.stopAtKnown");
      for (const name of ["target", "reference"]) {
        if (options[name] !== null && !Number.isFinite(options[name])) {
          throw new WorkItemError(`options.${name}`);
        }
      }
      for (const name of ["checkpoint", "startFile"]) {
        if (options[name] !== null && typeof options[name] !== "string") {
          throw new WorkItemError(`options.${name}`);
        }
      }
      if (item.starts !== null) typed(item, "starts", Float64Array, replicas * 3 * system.nAtoms);
      if (item.learned !== null) {
        const learned = record(item.learned, "learned");
        text_(learned, "architecture", /^[\w-]+$/);
        weights(learned, "weights", learned.architecture as string);
        positive(learned, "maxStepBondLengths");
      } else if (options.method === "learned") {
        throw new WorkItemError("the learned method without its weights");
      }
      return item as unknown as SearchItem;
    }
    default:
      throw new WorkItemError(`unknown kind ${JSON.stringify(item.kind)}`);
  }
}

function record(value: unknown, name: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new WorkItemError(`${name} is not an object`);
  }
  return value as Record<string, unknown>;
}

function text_(item: Record<string, unknown>, name: string, pattern: RegExp): string {
  const value = item[name];
  if (typeof value !== "string" || !pattern.test(value)) {
    throw new WorkItemError(`${name} ${JSON.stringify(value)}`);
  }
  return value;
}

function integer(item: Record<string, unknown>, name: string, min: number, max: number): number {
  const value = item[name];
  if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) {
    throw new WorkItemError(
      `${name} ${JSON.stringify(value)} is not an integer in [${min}, ${max}]`,
    );
  }
  return value as number;
}

function positive(item: Record<string, unknown>, name: string): number {
  const value = item[name];
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new WorkItemError(`${name} ${JSON.stringify(value)} is not a positive number`);
  }
  return value;
}

function typed<T extends Float32Array | Float64Array | Uint32Array>(
  item: Record<string, unknown>,
  name: string,
  type: new (n: number) => T,
  length: number,
): T {
  const value = item[name];
  if (!(value instanceof type) || value.length !== length) {
    throw new WorkItemError(`${name} is not ${length} values of ${type.name}`);
  }
  return value as T;
}

/** The architecture's weights, finite. */
function weights(item: Record<string, unknown>, name: string, architecture: string): void {
  const known = ARCHITECTURES[architecture];
  if (known === undefined) throw new WorkItemError(`architecture ${JSON.stringify(architecture)}`);
  const values = typed(item, name, Float32Array, known.description.parameterCount);
  if (!values.every(Number.isFinite)) throw new WorkItemError(`${name} has non-finite weights`);
}

/** The item's config, parsed (in place: the worker runs what the project parsed). */
function trainConfig(item: Record<string, unknown>): TrainConfig {
  try {
    item.config = parseTrainConfig(item.config, "config");
    return item.config as TrainConfig;
  } catch (error) {
    if (error instanceof UserError) throw new WorkItemError(error.message);
    throw error;
  }
}

function systemName(item: Record<string, unknown>, name: string) {
  const value = text_(item, name, /^[\w.+-]{1,64}$/);
  try {
    return parseSystem(value);
  } catch (error) {
    if (error instanceof UserError) throw new WorkItemError(error.message);
    throw error;
  }
}

/** A system of the config's family. */
function trainingSystem(item: Record<string, unknown>, config: TrainConfig): void {
  const system = systemName(item, "system");
  if (!config.systems.includes(system.name)) {
    throw new WorkItemError(`system ${system.name} is not in the config's family`);
  }
}
