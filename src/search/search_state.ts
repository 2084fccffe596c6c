/**
 * A search's saved state (DIR/state.safetensors), from which `deno task search --resume DIR`
 * continues exactly where the run stopped: the GPU batch's state buffers after a sync (positions,
 * method vectors and state, best points, per-replica scalars with their random streams), the
 * archive of distinct minima, the goals with each replica's first hit, the trace, and the options
 * the run was started with. A resumed run equals an uninterrupted one (the trajectories continue
 * bit for bit); only wall times differ.
 *
 * Safetensors (src/learned/safetensors.ts), so numpy reads it too. Tensors: `batch.NAME` (U32,
 * the raw words of each state buffer), `archive.positions` (F64 [K, 3N]), `archive.species` (U32
 * [K, N]), `lowest_logged` (F64 [B]), `first_hits.GOAL` (F64 [B], Infinity: not yet) and, for the
 * learned method, `weights` (F32). Metadata: `format`, `format_version` and `state` (JSON of the
 * rest).
 */
import type { ThreadLayout } from "../gpu/thread_layout.ts";
import type { BatchState } from "../methods/optimizer_batch.ts";
import {
  CheckpointError,
  decodeSafetensors,
  encodeSafetensors,
  type Safetensors,
  type Tensor,
} from "../learned/safetensors.ts";
import { UserError } from "../core/errors.ts";
import { MAX_U32, MIN_MAGNITUDE, withinMagnitude } from "../core/numbers.ts";
import { quoted } from "../core/quote.ts";
import { MOVE_NAMES } from "../methods/method_spec.ts";
import { MAX_LOG_CAPACITY } from "../methods/optimizer_batch.ts";
import { LOCAL_METHOD_NAMES } from "../methods/registry.ts";
import { MAX_LBFGS_HISTORY } from "../methods/lbfgs.ts";
import { parseSystem, type System } from "../systems/system.ts";
import { readInputBytes } from "../io/input_files.ts";
import type { ArchiveEntry } from "./archive.ts";
import { ARCHIVE_CAPACITY, MAX_REPLICAS } from "./limits.ts";
import {
  type HyperparameterSweeps,
  type Method,
  METHODS,
  type MethodSettings,
} from "./defaults.ts";
import type { GoalStatus, StopReason, TracePoint } from "./run_search.ts";

export const STATE_FILE = "state.safetensors";
const FORMAT = "learn2hop-search-state";
/** Bumped whenever the layout changes; a build reads only its own version. */
const FORMAT_VERSION = "1";

/** The options a search was started with, as JSON (the system by name). */
export interface SavedOptions {
  system: string;
  method: Method;
  replicas: number;
  maxEvaluations: number;
  seed: number;
  settings: MethodSettings;
  sweeps: HyperparameterSweeps;
  target: number | null;
  reference: number | null;
  stopAtKnown: boolean;
  syncEvery: number;
  logCapacity: number;
  keep: number;
  checkpoint: string | null;
  startFile: string | null;
}

export const GOAL_NAMES = ["known", "target", "reference"] as const;
export type GoalName = typeof GOAL_NAMES[number];

export interface SavedGoal {
  status: GoalStatus;
  /** Evaluations at which each replica first got there (Infinity: not yet). */
  firstHits: Float64Array;
}

export interface SearchState {
  options: SavedOptions;
  /** Why the run had stopped when this was saved; null while it was running (a periodic save:
   * what is left after a crash). Only an interrupted or running search can be continued. */
  stopped: StopReason | null;
  /** Seconds the replicas had run, so the trace's times continue. */
  seconds: number;
  trace: TracePoint[];
  goals: Partial<Record<GoalName, SavedGoal>>;
  /** Each replica's lowest logged energy (Infinity: none yet). */
  lowestLogged: Float64Array;
  archive: ArchiveEntry[];
  batch: BatchState;
  /** The kernels' thread layout, which a resumed search keeps unless told otherwise (the other
   * layout rounds differently, so its trajectories part from the saved ones); states saved before
   * layouts existed were lane. */
  layout: ThreadLayout;
  /** The learned optimizer's weights, to check that the checkpoint did not change. */
  weights?: Float32Array;
}

export function encodeSearchState(state: SearchState): Uint8Array {
  const tensors: Record<string, Tensor> = {};
  const vector = (dtype: Tensor["dtype"], data: Tensor["data"]): Tensor => ({
    dtype,
    shape: [data.length],
    data,
  });
  for (const [name, words] of Object.entries(state.batch.buffers)) {
    tensors[`batch.${name}`] = vector("U32", words);
  }
  const k = state.archive.length;
  const size = state.archive[0]?.positions.length ?? 0;
  const positions = new Float64Array(k * size);
  const species = new Uint32Array(k * (size / 3));
  state.archive.forEach((entry, i) => {
    positions.set(entry.positions, i * size);
    species.set(entry.species, i * size / 3);
  });
  tensors["archive.positions"] = { dtype: "F64", shape: [k, size], data: positions };
  tensors["archive.species"] = { dtype: "U32", shape: [k, size / 3], data: species };
  tensors.lowest_logged = vector("F64", state.lowestLogged);
  const goals: Partial<Record<GoalName, GoalStatus>> = {};
  for (const name of GOAL_NAMES) {
    const goal = state.goals[name];
    if (goal === undefined) continue;
    goals[name] = goal.status;
    tensors[`first_hits.${name}`] = vector("F64", goal.firstHits);
  }
  if (state.weights !== undefined) tensors.weights = vector("F32", state.weights);
  const rest = {
    options: state.options,
    stopped: state.stopped,
    seconds: state.seconds,
    limit: state.batch.limit,
    layout: state.layout,
    trace: state.trace,
    goals,
    archive: state.archive.map((e) => ({
      energy: e.energy,
      count: e.count,
      firstEvaluations: e.firstEvaluations,
      replica: e.replica,
    })),
  };
  return encodeSafetensors(tensors, {
    format: FORMAT,
    format_version: FORMAT_VERSION,
    state: JSON.stringify(rest),
  });
}

/** Largest state file read (a state holds every replica's buffers: up to about a gigabyte for
 * 1,024 replicas of 1,024 atoms with a long L-BFGS history). */
export const MAX_STATE_BYTES = 2 * 2 ** 30;

/** The state saved at `path`, or a UserError naming the file. */
export async function loadSearchState(path: string): Promise<SearchState> {
  return decodeSearchState(await readInputBytes(path, "a search state", MAX_STATE_BYTES), path);
}

/** Reads a state written by `encodeSearchState`; a CheckpointError naming `source` for anything
 * else. */
export function decodeSearchState(bytes: Uint8Array, source: string): SearchState {
  const fail = (why: string): never => {
    throw new CheckpointError(`${source} (a search state): ${why}`);
  };
  let container: Safetensors;
  try {
    container = decodeSafetensors(bytes);
  } catch (error) {
    if (error instanceof CheckpointError) fail(error.message);
    throw error;
  }
  try {
    return stateFrom(container, (why) => fail(`not a search state this version reads (${why})`));
  } catch (error) {
    // Metadata of the wrong shape: a field missing or of another type.
    if (error instanceof TypeError || error instanceof RangeError) {
      return fail("not a search state this version reads (malformed state metadata)");
    }
    throw error;
  }
}

function stateFrom(
  { tensors, metadata }: Safetensors,
  unreadable: (why: string) => never,
): SearchState {
  if (metadata.format !== FORMAT) unreadable(`format ${quoted(metadata.format ?? "none")}`);
  if (metadata.format_version !== FORMAT_VERSION) unreadable(`version ${metadata.format_version}`);
  let rest;
  try {
    rest = JSON.parse(metadata.state);
  } catch {
    return unreadable("unreadable state metadata");
  }
  const tensor = <T extends Tensor["data"]>(name: string, type: new (n: number) => T): T => {
    const t = tensors[name];
    if (t === undefined || !(t.data instanceof type)) return unreadable(`missing tensor ${name}`);
    return t.data as T;
  };
  const buffers = {} as BatchState["buffers"];
  for (const name of Object.keys(tensors)) {
    if (name.startsWith("batch.")) {
      buffers[name.slice(6) as keyof BatchState["buffers"]] = tensor(name, Uint32Array);
    }
  }
  const { options, system } = checkSavedOptions(rest.options, unreadable);
  const stops = ["budget", "all-stopped", "target", "known", "interrupted", "failed", null];
  if (!stops.includes(rest.stopped)) unreadable("an unknown stop reason");
  if (
    !Number.isInteger(rest.limit) || rest.limit < 1 || rest.limit > options.maxEvaluations ||
    !(rest.seconds >= 0) || !Array.isArray(rest.trace) || !Array.isArray(rest.archive) ||
    typeof rest.goals !== "object" || rest.goals === null
  ) {
    unreadable("malformed state metadata");
  }
  // The archive and the per-replica tensors, against the system and the replica count.
  const size = 3 * system.nAtoms;
  const positions = tensor("archive.positions", Float64Array);
  const species = tensor("archive.species", Uint32Array);
  const entries = rest.archive.length;
  if (
    positions.length !== entries * size || species.length !== entries * system.nAtoms ||
    species.some((s) => s >= system.elements.length) || !positions.every(Number.isFinite)
  ) {
    unreadable(`an archive that is not of ${system.name}`);
  }
  const perReplica = (name: string) => {
    const values = tensor(name, Float64Array);
    if (values.length !== options.replicas) {
      unreadable(`${name} not of ${options.replicas} replicas`);
    }
    return values;
  };
  const archive: ArchiveEntry[] = rest.archive.map(
    (e: Omit<ArchiveEntry, "positions" | "species">, i: number) => {
      const valid = Number.isFinite(e?.energy) && Number.isInteger(e.count) && e.count >= 1 &&
        Number.isFinite(e.firstEvaluations) && Number.isInteger(e.replica) && e.replica >= 0 &&
        e.replica < options.replicas;
      if (!valid) unreadable("a malformed archive entry");
      return {
        energy: e.energy,
        count: e.count,
        firstEvaluations: e.firstEvaluations,
        replica: e.replica,
        positions: positions.slice(i * size, (i + 1) * size),
        species: species.slice(i * system.nAtoms, (i + 1) * system.nAtoms),
      };
    },
  );
  const goals: SearchState["goals"] = {};
  for (const name of GOAL_NAMES) {
    if (rest.goals[name] === undefined) continue;
    if (typeof rest.goals[name] !== "object" || rest.goals[name] === null) {
      unreadable("a malformed goal");
    }
    goals[name] = { status: rest.goals[name], firstHits: perReplica(`first_hits.${name}`) };
  }
  return {
    options,
    stopped: rest.stopped,
    seconds: rest.seconds,
    trace: rest.trace,
    goals,
    lowestLogged: perReplica("lowest_logged"),
    archive,
    batch: { limit: rest.limit, buffers },
    layout: rest.layout === "workgroup" || rest.layout === "lane"
      ? rest.layout
      : unreadable("an unknown thread layout"),
    weights: tensors.weights === undefined ? undefined : tensor("weights", Float32Array),
  };
}

/**
 * The saved options, checked as the flags that made them were (a damaged or edited state must
 * not reach the kernels): the system parses, the method, drivers, local methods and moves are
 * known, counts are in their ranges, and every other number is finite and within what the
 * kernels' f32 arithmetic holds (core/numbers.ts), or a whole count up to 2^32 - 1. With the
 * system they name.
 */
function checkSavedOptions(
  options: unknown,
  unreadable: (why: string) => never,
): { options: SavedOptions; system: System } {
  const bad = (field: string) => unreadable(`its options' ${field} is not one a search takes`);
  if (typeof options !== "object" || options === null) return bad("record");
  const o = options as Record<string, unknown>;
  const integer = (field: string, min: number, max: number) => {
    const value = o[field];
    if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
      bad(field);
    }
  };
  if (typeof o.system !== "string") return bad("system");
  let system: System;
  try {
    system = parseSystem(o.system);
  } catch (error) {
    if (error instanceof UserError) return bad("system");
    throw error;
  }
  if (!(METHODS as readonly unknown[]).includes(o.method)) bad("method");
  integer("replicas", 1, MAX_REPLICAS);
  integer("maxEvaluations", 1, MAX_U32);
  integer("seed", 0, MAX_U32);
  integer("syncEvery", 1, MAX_U32);
  integer("logCapacity", 1, MAX_LOG_CAPACITY);
  integer("keep", 1, ARCHIVE_CAPACITY);
  for (const field of ["target", "reference"]) {
    if (o[field] !== null && !(typeof o[field] === "number" && withinMagnitude(o[field], true))) {
      bad(field);
    }
  }
  if (typeof o.stopAtKnown !== "boolean") bad("stopAtKnown");
  for (const field of ["checkpoint", "startFile"]) {
    if (o[field] !== null && typeof o[field] !== "string") bad(field);
  }
  const settings = o.settings as Record<string, unknown> | null;
  if (typeof settings !== "object" || settings === null) return bad("settings");
  // Each method has its driver (defaults.ts): learned its own, bh and random hopping, the
  // local methods none.
  const driver = o.method === "learned"
    ? "learned"
    : o.method === "bh" || o.method === "random"
    ? "hopping"
    : "local";
  if (settings.driver !== driver) bad("settings.driver");
  if (driver === "hopping" && (typeof settings.hopping !== "object" || settings.hopping === null)) {
    bad("settings.hopping");
  }
  const sweeps = o.sweeps as Record<string, unknown> | null;
  if (typeof sweeps !== "object" || sweeps === null) return bad("sweeps");
  for (const name of ["step", "dr", "temperature"]) {
    const sweep = sweeps[name];
    const range = sweep as { from?: unknown; to?: unknown } | null;
    const valid = typeof sweep === "number" ||
      (typeof range === "object" && range !== null && typeof range.from === "number" &&
        typeof range.to === "number");
    if (!valid) bad(`sweeps.${name}`);
  }
  if (settings.driver !== "learned") {
    const local = settings.local as Record<string, unknown> | null;
    if (!(LOCAL_METHOD_NAMES as readonly unknown[]).includes(local?.method)) bad("local method");
    const history = (local?.lbfgs as Record<string, unknown> | undefined)?.history;
    if (
      history !== undefined && !(Number.isInteger(history) && history as number >= 1 &&
        history as number <= MAX_LBFGS_HISTORY)
    ) bad("L-BFGS history");
  }
  const moves = (settings.hopping as Record<string, unknown> | undefined)?.moves;
  if (
    moves !== undefined &&
    (typeof moves !== "object" || moves === null ||
      !Object.keys(moves).every((name) => (MOVE_NAMES as readonly string[]).includes(name)))
  ) bad("moves");
  const numbers = (value: unknown, field: string): void => {
    if (typeof value === "number") {
      // No setting of a search is negative; a largest step is positive.
      const count = Number.isInteger(value) && value >= 0 && value <= MAX_U32;
      const setting = value >= 0 && withinMagnitude(value < MIN_MAGNITUDE ? 0 : value, true);
      if ((!count && !setting) || (field.endsWith(".maxStep") && !(value > 0))) bad(field);
    } else if (typeof value === "object" && value !== null) {
      for (const [key, inner] of Object.entries(value)) numbers(inner, `${field}.${key}`);
    }
  };
  numbers(o.settings, "settings");
  numbers(o.sweeps, "sweeps");
  return { options: options as SavedOptions, system };
}
