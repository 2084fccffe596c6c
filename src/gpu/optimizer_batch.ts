/**
 * B replicas of one system advanced by the fused optimizer kernel (shaders/optimize.wgsl).
 * Every replica's state stays in GPU buffers between dispatches; `advance` chains dispatches up to
 * an evaluation count in one submission, and `sync` reads back only the per-replica scalars and
 * the minima found since the last sync, in one mapping.
 */
import {
  type LoggedMinimum,
  NO_ENERGY,
  type ReplicaStatus,
  STATUS_CODES,
} from "../optimizers/reference_replica.ts";
import {
  type Method,
  METHOD_CODES,
  type OptimizerSettings,
  type ReplicaHyperparameters,
} from "../optimizers/settings.ts";
import { potentialCutoff } from "../potentials/potential.ts";
import { Rng } from "../systems/rng.ts";
import { checkBox, type System } from "../systems/system.ts";
import type { Gpu } from "./device.ts";
import { FUSED_SW_MAX_NEIGHBOURS, planDispatch } from "./loop_budget.ts";
import { potentialLayout } from "./potential_layout.ts";
import { PARAMETER_COUNT } from "../learned/architecture.ts";
import { assembleShader, KERNEL_SHADERS } from "./shader_source.ts";

const WORKGROUP_SIZE = 64;
/** 32-bit words of the kernel's Replica struct (20 scalars, then the vec4u random state). */
const REPLICA_WORDS = 24;
const SETTINGS_BYTES = 96;
/** Minima each replica may log between two syncs (the lowest are kept). */
export const DEFAULT_LOG_CAPACITY = 4;

/** Field offsets (in words) of the kernel's Replica struct. */
const FIELD = {
  energy: 0,
  bestEnergy: 1,
  fmax: 2,
  status: 3,
  evaluations: 4,
  bestEvaluations: 5,
  step: 11,
  dr: 12,
  temperature: 13,
  markovEnergy: 14,
  hops: 15,
  accepted: 16,
  weights: 19,
  rng: 20,
} as const;

/** Per-replica scalars read back by `sync`, one entry per replica. */
export interface ReplicaSnapshot {
  energy: Float32Array;
  bestEnergy: Float32Array;
  fmax: Float32Array;
  status: ReplicaStatus[];
  evaluations: Uint32Array;
  bestEvaluations: Uint32Array;
  dr: Float32Array;
  markovEnergy: Float32Array;
  hops: Uint32Array;
  accepted: Uint32Array;
}

export interface SyncResult {
  replicas: ReplicaSnapshot;
  /** Minima logged by each replica since the previous sync (the log is emptied). */
  minima: LoggedMinimum[][];
}

export interface OptimizerBatchOptions {
  method: Method;
  settings: OptimizerSettings;
  logCapacity?: number;
  /** Learned optimizer: how many weight vectors (ES population members) `setWeights` takes. */
  weightVectors?: number;
}

/** Planes of per-atom vectors each replica keeps (shaders/optimize.wgsl). */
const PLANES = 5;

const BINDINGS = [
  "settings",
  "positions",
  "vectors",
  "best",
  "replicas",
  "species",
  "params",
  "log",
  "weights",
] as const;
type Buffers = Record<typeof BINDINGS[number], GPUBuffer>;
type Pipelines = Record<"initialize" | "run" | "clearLog", GPUComputePipeline>;

export class OptimizerBatch {
  readonly gpu: Gpu;
  readonly system: System;
  readonly replicas: number;
  readonly method: Method;
  readonly settings: OptimizerSettings;
  readonly logCapacity: number;
  readonly stepsPerDispatch: number;
  readonly hopsPerDispatch: number;
  #buffers: Buffers;
  #bindGroup: GPUBindGroup;
  #pipelines: Pipelines;
  #logStride: number;
  #limit = 0;

  private constructor(
    gpu: Gpu,
    system: System,
    replicas: number,
    options: Required<OptimizerBatchOptions>,
    plan: { stepsPerDispatch: number; hopsPerDispatch: number },
    buffers: Buffers,
    bindGroup: GPUBindGroup,
    pipelines: Pipelines,
  ) {
    this.gpu = gpu;
    this.system = system;
    this.replicas = replicas;
    this.method = options.method;
    this.settings = options.settings;
    this.logCapacity = options.logCapacity;
    this.stepsPerDispatch = plan.stepsPerDispatch;
    this.hopsPerDispatch = plan.hopsPerDispatch;
    this.#buffers = buffers;
    this.#bindGroup = bindGroup;
    this.#pipelines = pipelines;
    this.#logStride = 1 + 2 * this.logCapacity + 3 * system.nAtoms * this.logCapacity;
  }

  static async create(
    gpu: Gpu,
    system: System,
    replicas: number,
    options: OptimizerBatchOptions,
  ): Promise<OptimizerBatch> {
    if (!Number.isInteger(replicas) || replicas < 1) {
      throw new RangeError(`replicas must be a positive integer, got ${replicas}`);
    }
    if (system.box !== undefined) {
      checkBox(system.name, system.box, potentialCutoff(system.potential));
    }
    const logCapacity = options.logCapacity ?? DEFAULT_LOG_CAPACITY;
    const n = system.nAtoms;
    const kind = system.potential.kind;
    const plan = planDispatch(kind, n, options.method, logCapacity);
    const layout = potentialLayout(system.potential, system.elements.length);
    const code = assembleShader(
      [KERNEL_SHADERS.rng, KERNEL_SHADERS.learned, KERNEL_SHADERS.optimize],
      kind,
      "replica",
      {
        N_ATOMS: n,
        WORKGROUP_SIZE,
        PERIODIC: system.box !== undefined,
        METHOD: METHOD_CODES[options.method],
        STEPS_PER_DISPATCH: plan.stepsPerDispatch,
        HOPS_PER_DISPATCH: plan.hopsPerDispatch,
        LOG_CAPACITY: logCapacity,
        ...layout.constants,
        ...(kind === "sw" ? { SW_MAX_NEIGHBOURS: FUSED_SW_MAX_NEIGHBOURS } : {}),
      },
    );
    const { device } = gpu;
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const make = (label: string, bytes: number, bufferUsage = usage) =>
      device.createBuffer({
        label,
        size: Math.max(16, Math.ceil(bytes / 4) * 4),
        usage: bufferUsage,
      });
    const logStride = 1 + 2 * logCapacity + 3 * n * logCapacity;
    const buffers = {
      settings: make("settings", SETTINGS_BYTES, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST),
      positions: make("positions", replicas * n * 12),
      vectors: make("optimizer vectors", replicas * PLANES * n * 12),
      best: make("best positions", replicas * n * 12),
      replicas: make("replicas", replicas * REPLICA_WORDS * 4),
      species: make("species", n * 4),
      params: make("params", layout.params.byteLength),
      log: make("minima log", replicas * logStride * 4),
      weights: make("weights", (options.weightVectors ?? 0) * PARAMETER_COUNT * 4),
    };
    device.queue.writeBuffer(buffers.species, 0, system.species);
    device.queue.writeBuffer(buffers.params, 0, layout.params);
    const bindGroupLayout = device.createBindGroupLayout({
      entries: BINDINGS.map((name, binding) => ({
        binding,
        visibility: GPUShaderStage.COMPUTE,
        buffer: {
          type: name === "settings"
            ? "uniform"
            : name === "species" || name === "params" || name === "weights"
            ? "read-only-storage"
            : "storage",
        },
      })),
    });
    const pipelineLayout = device.createPipelineLayout({ bindGroupLayouts: [bindGroupLayout] });
    const label = `optimize/${options.method}/${kind}/N=${n}`;
    const [initialize, run, clearLog] = await Promise.all(
      ["initialize", "run", "clear_log"].map((entry) =>
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
      {
        method: options.method,
        settings: options.settings,
        logCapacity,
        weightVectors: options.weightVectors ?? 0,
      },
      plan,
      buffers,
      bindGroup,
      { initialize, run, clearLog },
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
    const words = new ArrayBuffer(this.replicas * REPLICA_WORDS * 4);
    const asFloat = new Float32Array(words);
    const asUint = new Uint32Array(words);
    for (let r = 0; r < this.replicas; r++) {
      const hyper = hyperparameters(r);
      const base = r * REPLICA_WORDS;
      asFloat[base + FIELD.step] = hyper.step;
      asFloat[base + FIELD.dr] = hyper.dr;
      asFloat[base + FIELD.temperature] = hyper.temperature;
      asUint[base + FIELD.weights] = hyper.weights ?? 0;
      asUint.set(new Rng(hyper.seed, hyper.stream ?? r).state(), base + FIELD.rng);
    }
    device.queue.writeBuffer(this.#buffers.replicas, 0, words);
    this.#limit = 1;
    this.#writeSettings(1);
    this.#submit(this.#pipelines.initialize, 1);
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

  /** Advances until every running replica has spent `evaluations`, then syncs. */
  async advanceTo(evaluations: number): Promise<SyncResult> {
    this.advance(evaluations);
    const minima: LoggedMinimum[][] = Array.from({ length: this.replicas }, () => []);
    for (;;) {
      const result = await this.sync();
      result.minima.forEach((list, r) => minima[r].push(...list));
      const { status, evaluations: spent } = result.replicas;
      const behind = status.some((s, r) => s === "running" && spent[r] < evaluations);
      if (!behind) return { replicas: result.replicas, minima };
      this.#submit(this.#pipelines.run, 1);
    }
  }

  /** Reads every replica's scalars and the minima logged since the last sync (then empties it). */
  async sync(): Promise<SyncResult> {
    const { device } = this.gpu;
    const replicaBytes = this.replicas * REPLICA_WORDS * 4;
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
    return {
      replicas: this.#parseReplicas(data.slice(0, replicaBytes)),
      minima: this.#parseLog(data.slice(replicaBytes)),
    };
  }

  /** Learned optimizer: the weight vectors, concatenated (replicas name theirs by index). */
  setWeights(thetas: Float32Array<ArrayBuffer>): void {
    if (thetas.length !== this.#buffers.weights.size / 4 || thetas.length % PARAMETER_COUNT !== 0) {
      throw new RangeError(
        `expected ${this.#buffers.weights.size / 4} weights (weightVectors x ${PARAMETER_COUNT})`,
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

  destroy(): void {
    for (const buffer of Object.values(this.#buffers)) buffer.destroy();
  }

  #positionBytes(): number {
    return this.replicas * this.system.nAtoms * 12;
  }

  #writeSettings(evaluationLimit: number) {
    const s = this.settings;
    const box = this.system.box ?? 0;
    const data = new ArrayBuffer(SETTINGS_BYTES);
    const u = new Uint32Array(data);
    const f = new Float32Array(data);
    const finite = (value: number) => Math.min(value, NO_ENERGY);
    u[0] = this.replicas;
    u[1] = evaluationLimit;
    u[2] = s.relaxStepCap;
    u[3] = s.adaptInterval;
    f[4] = s.fmax;
    f[5] = finite(s.maxStep);
    f[6] = s.containerRadius;
    f[7] = box;
    f[8] = box > 0 ? 1 / box : 0;
    f[9] = s.fire.dtMax;
    u[10] = s.fire.nMin;
    f[11] = s.fire.fInc;
    f[12] = s.fire.fDec;
    f[13] = s.fire.alphaStart;
    f[14] = s.fire.fAlpha;
    f[15] = s.adam.beta1;
    f[16] = s.adam.beta2;
    f[17] = s.adam.epsilon;
    f[18] = s.swapProbability;
    f[19] = s.startRadius;
    f[20] = s.minDistance;
    f[21] = s.adaptFactor;
    f[22] = s.energyScale;
    f[23] = s.bondLength;
    this.gpu.device.queue.writeBuffer(this.#buffers.settings, 0, data);
  }

  #encode(encoder: GPUCommandEncoder, pipeline: GPUComputePipeline, dispatches: number) {
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, this.#bindGroup);
    const groups = Math.ceil(this.replicas / WORKGROUP_SIZE);
    for (let d = 0; d < dispatches; d++) pass.dispatchWorkgroups(groups);
    pass.end();
  }

  #submit(pipeline: GPUComputePipeline, dispatches: number) {
    const encoder = this.gpu.device.createCommandEncoder();
    this.#encode(encoder, pipeline, dispatches);
    this.gpu.device.queue.submit([encoder.finish()]);
  }

  #parseReplicas(data: ArrayBuffer): ReplicaSnapshot {
    const f = new Float32Array(data);
    const u = new Uint32Array(data);
    const field = <T extends Float32Array | Uint32Array>(source: T, offset: number): T => {
      const out = new (source.constructor as { new (n: number): T })(this.replicas);
      for (let r = 0; r < this.replicas; r++) out[r] = source[r * REPLICA_WORDS + offset];
      return out;
    };
    const statusNames = Object.keys(STATUS_CODES) as ReplicaStatus[];
    return {
      energy: field(f, FIELD.energy),
      bestEnergy: field(f, FIELD.bestEnergy),
      fmax: field(f, FIELD.fmax),
      status: Array.from(field(u, FIELD.status), (code) => statusNames[code]),
      evaluations: field(u, FIELD.evaluations),
      bestEvaluations: field(u, FIELD.bestEvaluations),
      dr: field(f, FIELD.dr),
      markovEnergy: field(f, FIELD.markovEnergy),
      hops: field(u, FIELD.hops),
      accepted: field(u, FIELD.accepted),
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
