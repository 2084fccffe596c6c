/**
 * B replicas of one system advanced by the fused optimizer kernel (shaders/driver.wgsl with the
 * method of a MethodSpec). Every replica's state stays in GPU buffers between dispatches;
 * `advance` chains dispatches up to an evaluation count in one submission, and `sync` reads back
 * only the per-replica scalars and the minima found since the last sync, in one mapping.
 */
import { type ReplicaStatus, STATUS_NAMES } from "../core/codes.ts";
import { UserError } from "../core/errors.ts";
import { layoutWords, offsets, StructArray } from "../core/layout.ts";
import { Rng } from "../core/rng.ts";
import type { Gpu } from "../gpu/device.ts";
import { potentialCutoff, potentialEntry, potentialLayout } from "../potentials/registry.ts";
import { checkBox, type System } from "../systems/system.ts";
import { loopBudget } from "../gpu/loop_budget.ts";
import {
  checkWorkgroupMemory,
  dispatchGrid,
  LANE_WORKGROUP_SIZE,
  type LayoutDevice,
  shapeOf,
  type ThreadLayout,
  workgroupShape,
} from "../gpu/thread_layout.ts";
import { type DispatchPlan, planDispatch } from "./dispatch_plan.ts";
import {
  DRIVER_BINDINGS,
  type DriverBufferName,
  logStride,
  planeNames,
  REPLICA_LAYOUT,
  SETTINGS_LAYOUT,
} from "./kernel_layout.ts";
import { bindGroupLayoutEntries } from "../gpu/bindings.ts";
import { fusedWorkgroupBytes, type KernelShape, kernelSource } from "./kernel_source.ts";
import {
  compiledMoves,
  driverFmax,
  learnedParameterCount,
  type MethodSpec,
  type MoveName,
  moveProbabilities,
  moveSystem,
  ranksAtoms,
  type ReplicaHyperparameters,
} from "./method_spec.ts";
import { probabilityField } from "./moves/move_source.ts";
import { HOP_MOVES } from "./moves/registry.ts";
import type { LoggedMinimum } from "./reference_replica.ts";

/** Minima each replica may log between two syncs (the lowest are kept). */
export const DEFAULT_LOG_CAPACITY = 4;
/** The most a replica may log between two syncs: each hop walks the log, so a longer one costs
 * llvmpipe's loop budget more than the hop itself (dispatch_plan.ts). */
export const MAX_LOG_CAPACITY = 1024;

/** Per-replica scalars read back by `sync`, one entry per replica. */
export interface ReplicaSnapshot {
  energy: Float32Array;
  bestEnergy: Float32Array;
  fmax: Float32Array;
  status: ReplicaStatus[];
  evaluations: Uint32Array;
  bestEvaluations: Uint32Array;
  dr: Float32Array;
  temperature: Float32Array;
  markovEnergy: Float32Array;
  hops: Uint32Array;
  accepted: Uint32Array;
  /** Non-finite points each replica rejected (shaders/driver.wgsl, reject_nonfinite). */
  rejectedNonfinite: Uint32Array;
  /** Restarts of stale chains (HoppingSettings.reseedHops), random or placed by the host. */
  reseeds: Uint32Array;
  /** Hops since the chain's lowest minimum last improved (with reseeding). */
  staleHops: Uint32Array;
  /** Chains found stale at once by the taboo list (HoppingSettings.taboo). */
  tabooHits: Uint32Array;
}

export interface SyncResult {
  replicas: ReplicaSnapshot;
  /** Minima logged by each replica since the previous sync (the log is emptied). */
  minima: LoggedMinimum[][];
}

export interface OptimizerBatchOptions {
  spec: MethodSpec;
  logCapacity?: number;
  /** Learned optimizers: how many weight vectors (ES population members) `setWeights` takes. */
  weightVectors?: number;
  /** Thread layout (src/gpu/thread_layout.ts); defaults to the Gpu's. */
  layout?: ThreadLayout;
  /** The workgroup layout's invocations per replica and reduction instead of the device's
   * (tests run the hardware shape, 32 invocations and a reduction tree, on llvmpipe). */
  workgroup?: { threads: number; reductionTree: boolean };
  /** Size dispatches by time (about TARGET_DISPATCH_MS each, within the loop budget) instead of
   * filling the budget; the default where the device has no loop budget (hardware). */
  timeSized?: boolean;
}

/** On devices without a loop budget, a dispatch is sized to take about this long: long enough
 * that launches cost nothing, short enough to stay responsive and far from watchdogs. */
const TARGET_DISPATCH_MS = 20;
/** Steps of the first dispatch where the device sets no loop budget, before any is timed. */
const FIRST_STEPS_PER_DISPATCH = 64;

/** The kernel's layout and shape for `system` on `gpu`; a UserError if it does not fit. */
export function kernelShape(
  gpu: LayoutDevice,
  system: System,
  layout: ThreadLayout,
  override?: OptimizerBatchOptions["workgroup"],
): KernelShape {
  if (layout === "lane") return { layout };
  const n = system.nAtoms;
  const shape = override === undefined
    ? workgroupShape(n, gpu, potentialEntry(system.potential.kind).wgsl.atomIterations(n, true))
    : shapeOf(n, override.threads, override.reductionTree);
  checkWorkgroupMemory(gpu, system.name, fusedWorkgroupBytes(system, shape));
  return { layout, shape };
}

const BINDINGS = DRIVER_BINDINGS.map((binding) => binding.key);
type Buffers = Record<DriverBufferName, GPUBuffer>;
/** `place` only where the host reseeds chains (HoppingSettings.pool). */
type Pipelines = Record<"initialize" | "run" | "clearLog", GPUComputePipeline> & {
  place?: GPUComputePipeline;
};
/** The buffers a replica's future depends on, besides the log (which every sync empties) and
 * what never changes (settings are rewritten per dispatch; species, params, weights are given). */
const STATE_BUFFERS = [
  "positions",
  "vectors",
  "best",
  "replicas",
  "localStates",
  "atomEnergies",
] as const;

/** Everything needed to continue a batch exactly where it was after a sync: its evaluation limit
 * and the raw words of its state buffers. */
export interface BatchState {
  limit: number;
  buffers: Record<typeof STATE_BUFFERS[number], Uint32Array>;
}
/** The most dispatches advanceTo submits between two syncs to bring stragglers to the limit. */
const MAX_CATCH_UP_DISPATCHES = 1024;

/** What a hopping spec may not ask of the system, refused with a UserError: a move it cannot take
 * (its registry entry's refusal: a surface move in a periodic box, a swap with one element), a
 * taboo list or a pool without reseeding, a pool's size or crossover share out of range, and
 * crossover in a periodic box. */
export function checkSpec(system: System, spec: MethodSpec): void {
  if (spec.driver.mode !== "hopping") return;
  const probabilities = moveProbabilities(spec.driver.hopping.moves);
  for (const move of HOP_MOVES) {
    const refusal = move.refusal(moveSystem(system));
    if (probabilities[move.name] > 0 && refusal !== null) {
      throw new UserError(`${refusal} (${system.name}); choose other moves (--moves)`);
    }
  }
  const { pool, reseedHops, taboo } = spec.driver.hopping;
  if (taboo === true && !(reseedHops! > 0)) {
    throw new UserError("a taboo list ends stale chains: it needs reseeding (--reseed K)");
  }
  if (pool === undefined) return;
  if (!(reseedHops! > 0)) {
    throw new UserError("a pool reseeds stale chains: it needs reseeding (--reseed K)");
  }
  if (!(Number.isInteger(pool.size) && pool.size >= 1)) {
    throw new UserError(`the pool size must be a positive integer, got ${pool.size}`);
  }
  if (!(pool.crossover >= 0 && pool.crossover <= 1)) {
    throw new UserError(`the crossover share must lie in [0, 1], got ${pool.crossover}`);
  }
  if (pool.crossover > 0 && system.box !== undefined) {
    throw new UserError(
      `cut-and-splice crossover is for clusters, not a periodic box (${system.name}); ` +
        "use --crossover 0",
    );
  }
}

/** Bytes of each buffer a batch allocates, and of the staging buffer a sync reads back. */
export function batchBufferBytes(
  system: System,
  replicas: number,
  options: OptimizerBatchOptions,
): Record<DriverBufferName | "readback", number> {
  const { spec } = options;
  const n = system.nAtoms;
  const logCapacity = options.logCapacity ?? DEFAULT_LOG_CAPACITY;
  const stride = logStride(n, logCapacity);
  const replicaBytes = layoutWords(REPLICA_LAYOUT) * 4;
  const keepsAtomEnergies = ranksAtoms(compiledMoves(spec, moveSystem(system)));
  return {
    settings: Math.ceil(layoutWords(SETTINGS_LAYOUT) / 4) * 16,
    positions: replicas * n * 12,
    vectors: replicas * planeNames(spec.local).length * n * 12,
    best: replicas * n * 12,
    replicas: replicas * replicaBytes,
    species: n * 4,
    params: potentialLayout(system.potential, system.elements.length, true).params.byteLength,
    log: replicas * stride * 4,
    weights: (options.weightVectors ?? 0) * learnedParameterCount(spec) * 4,
    localStates: replicas * layoutWords(spec.local.state) * 4,
    atomEnergies: keepsAtomEnergies ? 2 * replicas * n * 4 : 0,
    readback: replicas * (replicaBytes + stride * 4),
  };
}

/** The adapter limits a batch must fit (a GPUSupportedLimits will do). */
export interface BatchLimits {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
}

/**
 * A UserError naming the buffer, the limit and how many replicas would fit, unless a batch of
 * `replicas` fits `limits`: each storage buffer within maxStorageBufferBindingSize and
 * maxBufferSize, the readback within maxBufferSize. (Workgroups go on a 2D grid, which holds
 * more replicas than any buffer.)
 */
export function checkBatchFits(
  limits: BatchLimits,
  adapter: string,
  system: System,
  replicas: number,
  options: OptimizerBatchOptions,
): void {
  const bytes = batchBufferBytes(system, replicas, options);
  const one = batchBufferBytes(system, 1, options);
  const checks: [string, number, keyof BatchLimits][] = [];
  for (const name of BINDINGS) {
    if (name === "settings") continue; // a uniform, of fixed size
    checks.push([name, limits.maxStorageBufferBindingSize, "maxStorageBufferBindingSize"]);
    checks.push([name, limits.maxBufferSize, "maxBufferSize"]);
  }
  checks.push(["readback", limits.maxBufferSize, "maxBufferSize"]);
  // Buffers that grow with the replicas bound how many fit; the others do not depend on them.
  const scales = (name: keyof typeof bytes) => bytes[name] === replicas * one[name];
  let most = Infinity;
  for (const [name, limit] of checks) {
    const key = name as keyof typeof bytes;
    if (scales(key) && one[key] > 0) most = Math.min(most, Math.floor(limit / one[key]));
  }
  const fits = `at most ${most} replicas of ${system.name} fit`;
  for (const [name, limit, limitName] of checks) {
    const key = name as keyof typeof bytes;
    if (bytes[key] > limit) {
      throw new UserError(
        `${replicas} replicas of ${system.name} need a ${mebibytes(bytes[key])} ${name} buffer, ` +
          `over ${adapter}'s ${limitName} of ${mebibytes(limit)} (${fits})`,
      );
    }
  }
}

function mebibytes(bytes: number): string {
  return `${(bytes / 2 ** 20).toPrecision(3)} MiB`;
}

export class OptimizerBatch {
  readonly gpu: Gpu;
  readonly system: System;
  readonly replicas: number;
  readonly spec: MethodSpec;
  readonly logCapacity: number;
  readonly kernel: KernelShape;
  /** The most steps per dispatch the device's loop budget allows. */
  readonly maxStepsPerDispatch: number;
  readonly hopsPerDispatch: number;
  /** Steps per dispatch now: the budget's on llvmpipe, sized by time on hardware. */
  stepsPerDispatch: number;
  #timed: boolean;
  /** When the first dispatch since the last sync was queued, and how many since (timed only). */
  #queuedAt: number | undefined;
  #queuedDispatches = 0;
  #grid: [number, number];
  #buffers: Buffers;
  #bindGroup: GPUBindGroup;
  #pipelines: Pipelines;
  #logStride: number;
  #limit = 0;

  private constructor(
    gpu: Gpu,
    system: System,
    replicas: number,
    spec: MethodSpec,
    logCapacity: number,
    kernel: KernelShape,
    plan: { stepsPerDispatch: number; hopsPerDispatch: number },
    timed: boolean,
    buffers: Buffers,
    bindGroup: GPUBindGroup,
    pipelines: Pipelines,
  ) {
    this.gpu = gpu;
    this.system = system;
    this.replicas = replicas;
    this.spec = spec;
    this.logCapacity = logCapacity;
    this.kernel = kernel;
    this.maxStepsPerDispatch = plan.stepsPerDispatch;
    this.hopsPerDispatch = plan.hopsPerDispatch;
    this.#timed = timed;
    this.stepsPerDispatch = timed
      ? Math.min(FIRST_STEPS_PER_DISPATCH, plan.stepsPerDispatch)
      : plan.stepsPerDispatch;
    const groups = kernel.layout === "lane" ? Math.ceil(replicas / LANE_WORKGROUP_SIZE) : replicas;
    this.#grid = dispatchGrid(groups, gpu.device.limits.maxComputeWorkgroupsPerDimension);
    this.#buffers = buffers;
    this.#bindGroup = bindGroup;
    this.#pipelines = pipelines;
    this.#logStride = logStride(system.nAtoms, logCapacity);
  }

  /** Whether such a batch can be made on `gpu` (its box, its spec, its kernel's shape, its
   * dispatch plan within the loop budget, its buffers), without making it: the reason as an
   * exception (a UserError for a user's choice), else the kernel's shape and plan. */
  static check(
    gpu: Gpu,
    system: System,
    replicas: number,
    options: OptimizerBatchOptions,
  ): { kernel: KernelShape; plan: DispatchPlan } {
    if (!Number.isInteger(replicas) || replicas < 1) {
      throw new RangeError(`replicas must be a positive integer, got ${replicas}`);
    }
    if (system.box !== undefined) {
      checkBox(system.name, system.box, potentialCutoff(system.potential));
    }
    checkSpec(system, options.spec);
    const kernel = kernelShape(gpu, system, options.layout ?? gpu.layout, options.workgroup);
    const plan = planDispatch(
      system.potential.kind,
      system.nAtoms,
      options.spec,
      options.logCapacity ?? DEFAULT_LOG_CAPACITY,
      kernel,
      loopBudget(gpu),
    );
    checkBatchFits(gpu.device.limits, gpu.adapterName, system, replicas, options);
    return { kernel, plan };
  }

  static async create(
    gpu: Gpu,
    system: System,
    replicas: number,
    options: OptimizerBatchOptions,
  ): Promise<OptimizerBatch> {
    const { kernel, plan } = OptimizerBatch.check(gpu, system, replicas, options);
    const { spec } = options;
    const logCapacity = options.logCapacity ?? DEFAULT_LOG_CAPACITY;
    const code = kernelSource(system, spec, logCapacity, kernel);
    const { device } = gpu;
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const bytes = batchBufferBytes(system, replicas, options);
    const buffers = Object.fromEntries(BINDINGS.map((name) => [
      name,
      device.createBuffer({
        label: name,
        size: Math.max(16, Math.ceil(bytes[name] / 4) * 4),
        usage: name === "settings" ? GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST : usage,
      }),
    ])) as Buffers;
    device.queue.writeBuffer(buffers.species, 0, system.species);
    const { params } = potentialLayout(system.potential, system.elements.length, true);
    device.queue.writeBuffer(buffers.params, 0, params);
    const bindGroupLayout = device.createBindGroupLayout({
      entries: bindGroupLayoutEntries(DRIVER_BINDINGS),
    });
    const pipelineLayout = device.createPipelineLayout({ bindGroupLayouts: [bindGroupLayout] });
    const label =
      `optimize/${spec.driver.mode}/${spec.local.name}/${system.potential.kind}/N=${system.nAtoms}/${kernel.layout}`;
    const places = spec.driver.mode === "hopping" && spec.driver.hopping.pool !== undefined;
    const [initialize, run, clearLog, place] = await Promise.all(
      ["initialize", "run", "clear_log", ...(places ? ["place"] : [])].map((entry) =>
        gpu.computePipeline(label, code, pipelineLayout, entry)
      ),
    );
    const bindGroup = device.createBindGroup({
      layout: bindGroupLayout,
      entries: BINDINGS.map((name, binding) => ({ binding, resource: { buffer: buffers[name] } })),
    });
    return new OptimizerBatch(
      gpu,
      system,
      replicas,
      spec,
      logCapacity,
      kernel,
      plan,
      options.timeSized ?? loopBudget(gpu) === Infinity,
      buffers,
      bindGroup,
      { initialize, run, clearLog, place },
    );
  }

  /**
   * Starts every replica from `positions` ([replica][atom][xyz]) with its own hyperparameters
   * (replica r draws from stream r of its seed unless told otherwise): the first evaluation,
   * counted.
   */
  initialize(
    positions: ArrayLike<number>,
    hyperparameters: (replica: number) => ReplicaHyperparameters,
  ): void {
    const expected = this.replicas * this.system.nAtoms * 3;
    if (positions.length !== expected) {
      throw new RangeError(`expected ${expected} coordinates, got ${positions.length}`);
    }
    const { device } = this.gpu;
    device.queue.writeBuffer(this.#buffers.positions, 0, Float32Array.from(positions));
    const structs = new StructArray(REPLICA_LAYOUT, this.replicas);
    const { driver } = this.spec;
    for (let r = 0; r < this.replicas; r++) {
      const hyper = hyperparameters(r);
      structs.f32[structs.at(r, "step")] = hyper.step;
      structs.f32[structs.at(r, "dr")] = hyper.dr;
      structs.f32[structs.at(r, "temperature")] = hyper.temperature;
      structs.u32[structs.at(r, "weights")] = hyper.weights ?? 0;
      if (driver.mode === "hopping") {
        const p = moveProbabilities(hyper.moves ?? driver.hopping.moves);
        for (const move of HOP_MOVES) {
          checkMove(driver.hopping.moves, move.name, p[move.name]);
          structs.f32[structs.at(r, probabilityField(move.name))] = p[move.name];
        }
      }
      structs.u32.set(new Rng(hyper.seed, hyper.stream ?? r).state(), structs.at(r, "rng"));
    }
    device.queue.writeBuffer(this.#buffers.replicas, 0, structs.buffer);
    this.#limit = 1;
    this.#writeSettings(1);
    this.#submit(this.#pipelines.initialize, 1);
  }

  /** Sets replica r's Metropolis temperature and hop size between dispatches (replica exchange,
   * src/search/replica_exchange.ts); the rest of its state is untouched. */
  setHopParameters(replica: number, temperature: number, dr: number): void {
    const at = offsets(REPLICA_LAYOUT);
    const base = replica * layoutWords(REPLICA_LAYOUT);
    const write = (field: string, value: number) =>
      this.gpu.device.queue.writeBuffer(
        this.#buffers.replicas,
        4 * (base + at[field]),
        Float32Array.of(value),
      );
    write("temperature", temperature);
    write("dr", dr);
  }

  /**
   * Starts new chains in some replicas from the given positions ([atom][xyz] each), between
   * dispatches (HoppingSettings.pool: the host's reseeds from the population's pool, src/search/
   * population.ts): each replica's chain restarts there and accepts its next minimum, with one
   * evaluation counted (shaders/driver.wgsl, place). The rest of the batch is untouched.
   */
  place(placements: { replica: number; positions: ArrayLike<number> }[]): void {
    const pipeline = this.#pipelines.place;
    if (pipeline === undefined) throw new Error("place() needs a batch with a pool (spec)");
    if (placements.length === 0) return;
    const size = 3 * this.system.nAtoms;
    const at = offsets(REPLICA_LAYOUT);
    const words = layoutWords(REPLICA_LAYOUT);
    const { queue } = this.gpu.device;
    for (const { replica, positions } of placements) {
      if (positions.length !== size) {
        throw new RangeError(`expected ${size} coordinates, got ${positions.length}`);
      }
      queue.writeBuffer(this.#buffers.positions, 4 * size * replica, Float32Array.from(positions));
      queue.writeBuffer(
        this.#buffers.replicas,
        4 * (replica * words + at.placed),
        Uint32Array.of(1),
      );
    }
    this.#submit(pipeline, 1);
  }

  /**
   * Queues dispatches that advance every running replica toward `evaluations` evaluations in
   * total (one submission, no readback). Replicas that hop a lot may fall a few steps short; call
   * `advanceTo` to be sure.
   */
  advance(evaluations: number): void {
    const delta = Math.max(0, evaluations - this.#limit);
    this.#limit = Math.max(this.#limit, evaluations);
    this.#writeSettings(this.#limit);
    this.#submit(this.#pipelines.run, Math.max(1, Math.ceil(delta / this.stepsPerDispatch)));
  }

  /** Advances until every running replica has spent `evaluations`, then syncs. A replica that
   * keeps rejecting non-finite points may take as little as one evaluation per dispatch, so the
   * stragglers get as many dispatches as the farthest behind lacks evaluations (at most
   * MAX_CATCH_UP_DISPATCHES per sync): one sync, not one per evaluation (each costs ~11 ms of
   * waiting). Replicas at the limit return at once; trajectories do not depend on dispatches. */
  async advanceTo(evaluations: number): Promise<SyncResult> {
    this.advance(evaluations);
    const minima: LoggedMinimum[][] = Array.from({ length: this.replicas }, () => []);
    for (;;) {
      const result = await this.sync();
      result.minima.forEach((list, r) => minima[r].push(...list));
      const { status, evaluations: spent } = result.replicas;
      let lag = 0;
      status.forEach((s, r) => {
        if (s === "running") lag = Math.max(lag, evaluations - spent[r]);
      });
      if (lag <= 0) return { replicas: result.replicas, minima };
      this.#submit(this.#pipelines.run, Math.min(lag, MAX_CATCH_UP_DISPATCHES));
    }
  }

  /** Reads every replica's scalars and the minima logged since the last sync (then empties it). */
  async sync(): Promise<SyncResult> {
    const { device } = this.gpu;
    const replicaBytes = this.replicas * layoutWords(REPLICA_LAYOUT) * 4;
    const logBytes = this.replicas * this.#logStride * 4;
    const staging = device.createBuffer({
      size: replicaBytes + logBytes,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    const encoder = device.createCommandEncoder();
    encoder.copyBufferToBuffer(this.#buffers.replicas, 0, staging, 0, replicaBytes);
    encoder.copyBufferToBuffer(this.#buffers.log, 0, staging, replicaBytes, logBytes);
    this.#encode(encoder, this.#pipelines.clearLog, 1);
    device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const data = staging.getMappedRange().slice(0);
    staging.unmap();
    staging.destroy();
    this.gpu.check();
    this.#resize();
    return {
      replicas: this.#parseReplicas(data.slice(0, replicaBytes)),
      minima: this.#parseLog(data.slice(replicaBytes)),
    };
  }

  /** Learned optimizers: the weight vectors, concatenated (replicas name theirs by index). */
  setWeights(thetas: Float32Array<ArrayBuffer>): void {
    const count = learnedParameterCount(this.spec);
    if (thetas.length !== this.#buffers.weights.size / 4 || count === 0 || thetas.length % count) {
      throw new RangeError(
        `expected ${this.#buffers.weights.size / 4} weights (weightVectors x ${count})`,
      );
    }
    this.gpu.device.queue.writeBuffer(this.#buffers.weights, 0, thetas);
  }

  /** Positions where each replica saw its lowest energy, [replica][atom][xyz]. */
  async readBestPositions(): Promise<Float32Array> {
    return new Float32Array(await this.gpu.read(this.#buffers.best, this.#positionBytes()));
  }

  async readPositions(): Promise<Float32Array> {
    return new Float32Array(await this.gpu.read(this.#buffers.positions, this.#positionBytes()));
  }

  /** The batch's state after a sync (see BatchState); restoring it into a batch of the same
   * system, replicas and spec continues the same trajectories bit for bit. */
  async readState(): Promise<BatchState> {
    const buffers = {} as BatchState["buffers"];
    for (const name of STATE_BUFFERS) {
      const buffer = this.#buffers[name];
      buffers[name] = new Uint32Array(await this.gpu.read(buffer, buffer.size));
    }
    return { limit: this.#limit, buffers };
  }

  /** Puts back a state from `readState` in place of `initialize`. */
  restoreState(state: BatchState): void {
    for (const name of STATE_BUFFERS) {
      const words = state.buffers[name];
      if (words === undefined || words.byteLength !== this.#buffers[name].size) {
        // A state saved by another batch: a damaged or edited file, the user's to hear of.
        throw new UserError(
          `the saved state's ${name} holds ${words?.byteLength ?? 0} bytes where its batch has ` +
            `${this.#buffers[name].size} (a damaged or edited state file)`,
        );
      }
      this.gpu.device.queue.writeBuffer(this.#buffers[name], 0, Uint32Array.from(words));
    }
    this.#limit = state.limit;
    // Dispatches before the next advance (a sync's clear_log, place) read the replica count.
    this.#writeSettings(state.limit);
  }

  destroy(): void {
    for (const buffer of Object.values(this.#buffers)) buffer.destroy();
  }

  #positionBytes(): number {
    return this.replicas * this.system.nAtoms * 12;
  }

  #writeSettings(evaluationLimit: number) {
    const settings = new StructArray(
      SETTINGS_LAYOUT,
      1,
      new ArrayBuffer(this.#buffers.settings.size),
    );
    settings.u32[settings.at(0, "n_replicas")] = this.replicas;
    settings.u32[settings.at(0, "evaluation_limit")] = evaluationLimit;
    settings.f32[settings.at(0, "fmax")] = driverFmax(this.spec.driver);
    settings.u32[settings.at(0, "steps_per_dispatch")] = this.stepsPerDispatch;
    settings.u32[settings.at(0, "hops_per_dispatch")] = this.hopsPerDispatch;
    this.gpu.device.queue.writeBuffer(this.#buffers.settings, 0, settings.buffer);
  }

  #encode(encoder: GPUCommandEncoder, pipeline: GPUComputePipeline, dispatches: number) {
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, this.#bindGroup);
    for (let d = 0; d < dispatches; d++) pass.dispatchWorkgroups(...this.#grid);
    pass.end();
  }

  /** Timed devices: steps per dispatch scaled toward TARGET_DISPATCH_MS from the dispatches
   * since the last sync (at most 4x per sync either way, within the plan's bound). */
  #resize() {
    if (this.#queuedAt !== undefined && this.#queuedDispatches > 0) {
      const perDispatch = (performance.now() - this.#queuedAt) / this.#queuedDispatches;
      const factor = Math.min(4, Math.max(0.25, TARGET_DISPATCH_MS / Math.max(perDispatch, 1e-3)));
      this.stepsPerDispatch = Math.min(
        this.maxStepsPerDispatch,
        Math.max(1, Math.round(this.stepsPerDispatch * factor)),
      );
    }
    this.#queuedAt = undefined;
    this.#queuedDispatches = 0;
  }

  #submit(pipeline: GPUComputePipeline, dispatches: number) {
    if (this.#timed && pipeline === this.#pipelines.run) {
      this.#queuedAt ??= performance.now();
      this.#queuedDispatches += dispatches;
    }
    const encoder = this.gpu.device.createCommandEncoder();
    this.#encode(encoder, pipeline, dispatches);
    this.gpu.device.queue.submit([encoder.finish()]);
  }

  #parseReplicas(data: ArrayBuffer): ReplicaSnapshot {
    const s = new StructArray(REPLICA_LAYOUT, this.replicas, data);
    return {
      energy: s.column("energy", "f32"),
      bestEnergy: s.column("best_energy", "f32"),
      fmax: s.column("fmax", "f32"),
      status: Array.from(s.column("status", "u32"), (code) => STATUS_NAMES[code]),
      evaluations: s.column("evaluations", "u32"),
      bestEvaluations: s.column("best_evaluations", "u32"),
      dr: s.column("dr", "f32"),
      temperature: s.column("temperature", "f32"),
      markovEnergy: s.column("markov_energy", "f32"),
      hops: s.column("hops", "u32"),
      accepted: s.column("accepted", "u32"),
      rejectedNonfinite: s.column("rejected_nonfinite", "u32"),
      reseeds: s.column("reseeds", "u32"),
      staleHops: s.column("stale_hops", "u32"),
      tabooHits: s.column("taboo_hits", "u32"),
    };
  }

  #parseLog(data: ArrayBuffer): LoggedMinimum[][] {
    const u = new Uint32Array(data);
    const f = new Float32Array(data);
    const n = this.system.nAtoms;
    const capacity = this.logCapacity;
    return Array.from({ length: this.replicas }, (_, r) => {
      const base = r * this.#logStride;
      const count = Math.min(u[base], capacity);
      return Array.from({ length: count }, (_, k) => {
        const atoms = base + 1 + 2 * capacity + 3 * n * k;
        return {
          energy: f[base + 1 + 2 * k],
          evaluations: u[base + 2 + 2 * k],
          positions: Float64Array.from(f.subarray(atoms, atoms + 3 * n)),
        };
      });
    });
  }
}

/** A replica may weigh the batch's moves differently but use no move the kernel lacks. */
function checkMove(batchMoves: Partial<Record<MoveName, number>>, move: MoveName, p: number) {
  if (p > 0 && !((batchMoves[move] ?? 0) > 0)) {
    throw new UserError(`a replica's ${move} moves need the batch's move mix to include them`);
  }
}
