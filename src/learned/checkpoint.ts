/**
 * Checkpoints of the meta-trained learned optimizer: its parameters theta, the outer Adam state,
 * the meta-training RNG and step, and enough description (architecture, feature list, training
 * config, project version) that a checkpoint is never silently applied to a network it does not
 * fit. Stored as safetensors, so `numpy`/`safetensors` in Python read theta directly.
 *
 * Tensors: `theta`, `adam_m`, `adam_v` (F32 [P]) and `rng_state` (U32 [4]). Metadata strings:
 * `format`, `format_version`, `outer_step`, `adam_step`, `architecture`, `features` and `config`
 * (JSON) and `project_version`. Non-finite weights or moments are refused on writing and reading.
 */
import { UserError } from "../core/errors.ts";
import { quoted } from "../core/quote.ts";
import { readInputBytes } from "../io/input_files.ts";
import { dirname } from "node:path";
import { writeFileAtomic } from "../io/output_files.ts";
import {
  CheckpointError,
  decodeSafetensors,
  encodeSafetensors,
  type Tensor,
} from "./safetensors.ts";

/** Characters of a checkpoint's feature list shown when it differs from this build's: the
 * whole list of any architecture here, and no more. */
const FEATURES_SHOWN = 400;

/** The `format` metadata value that marks a learn2hop checkpoint. */
export const CHECKPOINT_FORMAT = "learn2hop-checkpoint";
/** Bumped whenever the layout changes; a build reads only its own version. */
export const CHECKPOINT_FORMAT_VERSION = "1";

/** The learned optimizer's network shape; `parameterCount` is the length of theta. */
export interface Architecture {
  name: string;
  inputs: number;
  hidden: number[];
  outputs: number;
  parameterCount: number;
}

export interface Checkpoint {
  /** The learned optimizer's parameters, length `architecture.parameterCount`. */
  theta: Float32Array;
  /** Adam state of the outer (meta-training) optimizer: moments per parameter and its step. */
  optimizer: { m: Float32Array; v: Float32Array; step: number };
  /** Meta-training iterations completed. */
  outerStep: number;
  /** The meta-training generator's four xoshiro128** words (`Rng.state()`). */
  rngState: Uint32Array;
  architecture: Architecture;
  /** Names of the optimizer's input features, in input order. */
  features: string[];
  /** The training configuration, any JSON value. */
  config: unknown;
  projectVersion: string;
}

/** A field of a checkpoint's config (any JSON value): undefined where the config is not an object
 * or has no such field. */
export function configField(config: unknown, key: string): unknown {
  return typeof config === "object" && config !== null && key in config
    ? (config as Record<string, unknown>)[key]
    : undefined;
}

/** What the running code builds; a checkpoint for anything else is refused. */
export interface ExpectedModel {
  architecture: Architecture;
  features: readonly string[];
}

const TENSOR_NAMES = ["adam_m", "adam_v", "rng_state", "theta"];

/** Layer widths as in "mlp(19->32->32->3)". */
export function describeArchitecture(architecture: Architecture): string {
  const { name, inputs, hidden, outputs } = architecture;
  return `${name}(${[inputs, ...hidden, outputs].join("->")})`;
}

/** The checkpoint as safetensors bytes; identical checkpoints give identical bytes. */
export function encodeCheckpoint(checkpoint: Checkpoint): Uint8Array {
  checkConsistent(checkpoint);
  const { theta, optimizer, rngState, architecture: a } = checkpoint;
  const vector = (dtype: Tensor["dtype"], data: Tensor["data"]): Tensor => ({
    dtype,
    shape: [data.length],
    data,
  });
  const architecture = {
    name: a.name,
    inputs: a.inputs,
    hidden: a.hidden,
    outputs: a.outputs,
    parameterCount: a.parameterCount,
  };
  return encodeSafetensors({
    theta: vector("F32", theta),
    adam_m: vector("F32", optimizer.m),
    adam_v: vector("F32", optimizer.v),
    rng_state: vector("U32", rngState),
  }, {
    format: CHECKPOINT_FORMAT,
    format_version: CHECKPOINT_FORMAT_VERSION,
    outer_step: String(checkpoint.outerStep),
    adam_step: String(optimizer.step),
    architecture: JSON.stringify(architecture),
    features: JSON.stringify(checkpoint.features),
    config: configJson(checkpoint.config),
    project_version: checkpoint.projectVersion,
  });
}

/**
 * Parses and validates checkpoint bytes; with `expected`, also refuses a checkpoint whose
 * architecture or feature list differs from the code's. Throws {@link CheckpointError}.
 */
export function decodeCheckpoint(bytes: Uint8Array, expected?: ExpectedModel): Checkpoint {
  const { tensors, metadata } = decodeSafetensors(bytes);
  checkFormat(metadata);
  const names = Object.keys(tensors).sort();
  if (names.join() !== TENSOR_NAMES.join()) {
    throw new CheckpointError(`checkpoint tensors are [${names}], expected [${TENSOR_NAMES}]`);
  }
  const checkpoint: Checkpoint = {
    theta: vector(tensors, "theta", "F32") as Float32Array,
    optimizer: {
      m: vector(tensors, "adam_m", "F32") as Float32Array,
      v: vector(tensors, "adam_v", "F32") as Float32Array,
      step: count(metadata, "adam_step"),
    },
    outerStep: count(metadata, "outer_step"),
    rngState: vector(tensors, "rng_state", "U32") as Uint32Array,
    architecture: json(metadata, "architecture") as Architecture,
    features: json(metadata, "features") as string[],
    config: json(metadata, "config"),
    projectVersion: text(metadata, "project_version"),
  };
  checkConsistent(checkpoint);
  if (expected) checkMatches(checkpoint, expected);
  return checkpoint;
}

/**
 * Writes the checkpoint atomically (writeFileAtomic: a temporary file beside `path`, flushed to
 * disk, renamed over `path`), so a crash or a concurrent reader never sees a partial file.
 * Creates the directory if missing. A checkpoint with non-finite weights is refused unwritten.
 */
export async function saveCheckpoint(path: string, checkpoint: Checkpoint): Promise<void> {
  const bytes = encodeCheckpoint(checkpoint);
  await Deno.mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, bytes);
}

/** Largest checkpoint read: theta and the outer optimizer's state are at most a few thousand
 * numbers each (kilobytes); a larger file is not a checkpoint. */
export const MAX_CHECKPOINT_BYTES = 64 * 2 ** 20;

/** Reads and validates the checkpoint at `path` (see {@link decodeCheckpoint}). */
export async function loadCheckpoint(path: string, expected?: ExpectedModel): Promise<Checkpoint> {
  let bytes: Uint8Array;
  try {
    bytes = await readInputBytes(path, "a checkpoint", MAX_CHECKPOINT_BYTES);
  } catch (error) {
    if (error instanceof UserError) throw new CheckpointError(error.message, { cause: error });
    throw error;
  }
  try {
    return decodeCheckpoint(bytes, expected);
  } catch (error) {
    if (error instanceof CheckpointError) {
      throw new CheckpointError(`${path} (a checkpoint): ${error.message}`, { cause: error });
    }
    throw error;
  }
}

function configJson(config: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(config);
  } catch (error) {
    throw new CheckpointError(`checkpoint config is not JSON-serialisable: ${error}`);
  }
  if (json === undefined) throw new CheckpointError("checkpoint config is not a JSON value");
  return json;
}

function checkFormat(metadata: Record<string, string>): void {
  if (metadata.format !== CHECKPOINT_FORMAT) {
    throw new CheckpointError(
      `not a learn2hop checkpoint (format ${quoted(metadata.format ?? null)})`,
    );
  }
  if (metadata.format_version !== CHECKPOINT_FORMAT_VERSION) {
    throw new CheckpointError(
      `checkpoint format version ${quoted(metadata.format_version ?? null)} is not ` +
        `supported; this build reads version ${CHECKPOINT_FORMAT_VERSION}`,
    );
  }
}

/** A one-dimensional tensor of the given dtype; its length is checked by checkConsistent. */
function vector(
  tensors: Record<string, Tensor>,
  name: string,
  dtype: Tensor["dtype"],
): Tensor["data"] {
  const tensor = tensors[name];
  if (tensor.dtype !== dtype || tensor.shape.length !== 1) {
    throw new CheckpointError(
      `checkpoint tensor "${name}" is ${tensor.dtype} [${tensor.shape}], expected 1-D ${dtype}`,
    );
  }
  return tensor.data;
}

function text(metadata: Record<string, string>, key: string): string {
  const value = metadata[key];
  if (value === undefined) throw new CheckpointError(`checkpoint metadata lacks "${key}"`);
  return value;
}

/** A non-negative integer written in decimal. */
function count(metadata: Record<string, string>, key: string): number {
  const value = text(metadata, key);
  if (!/^(0|[1-9][0-9]*)$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new CheckpointError(`checkpoint metadata "${key}" is not a step count: ${quoted(value)}`);
  }
  return Number(value);
}

function json(metadata: Record<string, string>, key: string): unknown {
  try {
    return JSON.parse(text(metadata, key));
  } catch (error) {
    if (error instanceof CheckpointError) throw error;
    throw new CheckpointError(`checkpoint metadata "${key}" is not valid JSON`);
  }
}

/**
 * Shared by writing and reading: shapes agree with the architecture, counts are integers, the
 * weights and Adam moments are finite and the second moments non-negative.
 */
function checkConsistent(checkpoint: Checkpoint): void {
  const { architecture: a, theta, optimizer, rngState, features } = checkpoint;
  checkArchitecture(a);
  if (!Array.isArray(features) || !features.every((f) => typeof f === "string")) {
    throw new CheckpointError("checkpoint features must be a list of names");
  }
  const lengths: [string, number, number][] = [
    ["theta", theta.length, a.parameterCount],
    ["adam_m", optimizer.m.length, a.parameterCount],
    ["adam_v", optimizer.v.length, a.parameterCount],
    ["rng_state", rngState.length, 4],
  ];
  for (const [name, actual, wanted] of lengths) {
    if (actual !== wanted) {
      throw new CheckpointError(`checkpoint ${name} has ${actual} values, expected ${wanted}`);
    }
  }
  checkStep("outer step", checkpoint.outerStep);
  checkStep("adam step", optimizer.step);
  // A diverged run or a corrupted file; the weights would turn every replica's energy into NaN.
  const floats: [string, Float32Array][] = [
    ["theta", theta],
    ["adam_m", optimizer.m],
    ["adam_v", optimizer.v],
  ];
  for (const [name, values] of floats) checkFinite(name, values);
  const negative = optimizer.v.findIndex((v) => v < 0);
  if (negative >= 0) {
    throw new CheckpointError(
      `checkpoint adam_v[${negative}] is ${optimizer.v[negative]}; Adam's second moments are >= 0`,
    );
  }
}

function checkFinite(name: string, values: Float32Array): void {
  const at = values.findIndex((v) => !Number.isFinite(v));
  if (at >= 0) {
    throw new CheckpointError(
      `checkpoint ${name}[${at}] is ${values[at]}; every value must be a finite number`,
    );
  }
}

function checkStep(name: string, step: number): void {
  if (!Number.isSafeInteger(step) || step < 0) {
    throw new CheckpointError(`checkpoint ${name} must be a non-negative integer, got ${step}`);
  }
}

function checkArchitecture(a: unknown): asserts a is Architecture {
  const positive = (n: unknown) => Number.isSafeInteger(n) && (n as number) > 0;
  const valid = typeof a === "object" && a !== null && "name" in a &&
    typeof a.name === "string" && a.name !== "" &&
    "inputs" in a && positive(a.inputs) && "outputs" in a && positive(a.outputs) &&
    "hidden" in a && Array.isArray(a.hidden) && a.hidden.every(positive) &&
    "parameterCount" in a && Number.isSafeInteger(a.parameterCount) &&
    (a.parameterCount as number) >= 0;
  if (!valid) {
    throw new CheckpointError(`checkpoint architecture is malformed: ${quoted(a)}`);
  }
}

/** A CheckpointError unless the checkpoint was trained for `expected`. */
export function checkMatches(checkpoint: Checkpoint, expected: ExpectedModel): void {
  const saved = checkpoint.architecture;
  const wanted = expected.architecture;
  if (!sameArchitecture(saved, wanted)) {
    let [have, want] = [describeArchitecture(saved), describeArchitecture(wanted)];
    if (have === want) {
      have += ` with ${saved.parameterCount} parameters`;
      want += ` with ${wanted.parameterCount} parameters`;
    }
    throw new CheckpointError(`checkpoint architecture ${have} does not match the code's ${want}`);
  }
  if (!sameList(checkpoint.features, expected.features)) {
    throw new CheckpointError(
      `checkpoint was trained with features ${quoted(checkpoint.features, FEATURES_SHOWN)}; ` +
        `this build computes ${JSON.stringify(expected.features)}`,
    );
  }
}

function sameArchitecture(a: Architecture, b: Architecture): boolean {
  return a.name === b.name && a.inputs === b.inputs && sameList(a.hidden, b.hidden) &&
    a.outputs === b.outputs && a.parameterCount === b.parameterCount;
}

function sameList<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}
