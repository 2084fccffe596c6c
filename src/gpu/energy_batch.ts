/**
 * B replicas of one system on the GPU: positions stay in a storage buffer across dispatches, and
 * one `evaluate()` computes every replica's energy and forces (two or three dispatches in one
 * submission). Readbacks are explicit and return only what is asked for.
 */
import { type Layout, StructArray, wgslStruct } from "../core/layout.ts";
import { potentialCutoff } from "../potentials/potential.ts";
import { checkBox, type System } from "../systems/system.ts";
import type { Gpu } from "./device.ts";
import { potentialLayout } from "./potential_layout.ts";
import { assembleShader, KERNEL_SHADERS } from "./shader_source.ts";

const WORKGROUP_SIZE = 64;

/** The energy kernel's uniform (shaders/energy_forces.wgsl). */
const BATCH_INFO_LAYOUT: Layout = {
  name: "BatchInfo",
  fields: [
    { name: "n_replicas", type: "u32" },
    {
      name: "grid_width",
      type: "u32",
      doc: "threads per row of the 2D dispatch grid (at most 65,535 groups per axis)",
    },
    { name: "box_side", type: "f32", doc: "periodic cubic box side; unused for clusters" },
    { name: "inverse_box_side", type: "f32" },
  ],
};
const MAX_GROUPS_PER_AXIS = 65_535;

export class EnergyBatch {
  readonly gpu: Gpu;
  readonly system: System;
  readonly replicas: number;
  readonly positions: GPUBuffer;
  readonly forces: GPUBuffer;
  readonly energies: GPUBuffer;
  #buffers: GPUBuffer[];
  #bindGroup: GPUBindGroup;
  #prepare: GPUComputePipeline | undefined;
  #evaluate: GPUComputePipeline;
  #sumEnergies: GPUComputePipeline;
  #atomGrid: [number, number];
  #replicaGrid: [number, number];

  private constructor(
    gpu: Gpu,
    system: System,
    replicas: number,
    buffers: GPUBuffer[],
    bindGroup: GPUBindGroup,
    pipelines: [GPUComputePipeline | undefined, GPUComputePipeline, GPUComputePipeline],
    grids: [[number, number], [number, number]],
  ) {
    this.gpu = gpu;
    this.system = system;
    this.replicas = replicas;
    this.#buffers = buffers;
    [, this.positions, , , , , this.forces, this.energies] = buffers;
    this.#bindGroup = bindGroup;
    [this.#prepare, this.#evaluate, this.#sumEnergies] = pipelines;
    [this.#atomGrid, this.#replicaGrid] = grids;
  }

  static async create(gpu: Gpu, system: System, replicas: number): Promise<EnergyBatch> {
    if (!Number.isInteger(replicas) || replicas < 1) {
      throw new RangeError(`replicas must be a positive integer, got ${replicas}`);
    }
    if (system.box !== undefined) {
      checkBox(system.name, system.box, potentialCutoff(system.potential));
    }
    const { device } = gpu;
    const n = system.nAtoms;
    const layout = potentialLayout(system.potential, system.elements.length);
    const code = assembleShader(
      KERNEL_SHADERS.energyForces,
      system.potential.kind,
      "atom",
      {
        N_ATOMS: n,
        AUX_WORDS: Math.max(layout.auxWords, 1),
        WORKGROUP_SIZE,
        PERIODIC: system.box !== undefined,
        ...layout.constants,
      },
      [wgslStruct(BATCH_INFO_LAYOUT)],
    );

    // Both kernels index threads as x + y * width with one width from the uniform: the atom grid
    // may need rows, the replica grid (at most 65,535 groups) never does.
    const atomGrid = grid(replicas * n);
    const replicaGrid: [number, number] = [Math.ceil(replicas / WORKGROUP_SIZE), 1];
    if (replicaGrid[0] > MAX_GROUPS_PER_AXIS) {
      throw new RangeError(`too many replicas: ${replicas}`);
    }
    const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const make = (label: string, bytes: number, usage = storage) =>
      device.createBuffer({ label, size: Math.max(4, align4(bytes)), usage });
    const info = make("batch info", 16, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
    const infoData = new StructArray(BATCH_INFO_LAYOUT, 1, new ArrayBuffer(16));
    const box = system.box ?? 0;
    infoData.u32[infoData.at(0, "n_replicas")] = replicas;
    infoData.u32[infoData.at(0, "grid_width")] = atomGrid[0] * WORKGROUP_SIZE;
    infoData.f32[infoData.at(0, "box_side")] = box;
    infoData.f32[infoData.at(0, "inverse_box_side")] = box > 0 ? 1 / box : 0;
    device.queue.writeBuffer(info, 0, infoData.buffer);
    const buffers = [
      info,
      make("positions", replicas * n * 12),
      make("species", n * 4),
      make("params", layout.params.byteLength),
      make("aux", replicas * n * layout.auxWords * 4),
      make("atom energies", replicas * n * 4),
      make("forces", replicas * n * 12),
      make("energies", replicas * 4),
    ];
    device.queue.writeBuffer(buffers[2], 0, system.species);
    device.queue.writeBuffer(buffers[3], 0, layout.params);

    const bindGroupLayout = device.createBindGroupLayout({
      entries: buffers.map((_, binding) => ({
        binding,
        visibility: GPUShaderStage.COMPUTE,
        buffer: {
          type: binding === 0 ? "uniform" : binding <= 3 ? "read-only-storage" : "storage",
        },
      })),
    });
    const pipelineLayout = device.createPipelineLayout({ bindGroupLayouts: [bindGroupLayout] });
    const label = `energy_forces/${system.potential.kind}/N=${n}`;
    const [prepare, evaluate, sumEnergies] = await Promise.all([
      layout.auxWords > 0
        ? gpu.computePipeline(label, code, pipelineLayout, "prepare")
        : Promise.resolve(undefined),
      gpu.computePipeline(label, code, pipelineLayout, "evaluate"),
      gpu.computePipeline(label, code, pipelineLayout, "sum_energies"),
    ]);
    const bindGroup = device.createBindGroup({
      layout: bindGroupLayout,
      entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    return new EnergyBatch(
      gpu,
      system,
      replicas,
      buffers,
      bindGroup,
      [prepare, evaluate, sumEnergies],
      [atomGrid, replicaGrid],
    );
  }

  /** Uploads positions [replica][atom][xyz] (rounded to f32). */
  writePositions(positions: ArrayLike<number>): void {
    const expected = this.replicas * this.system.nAtoms * 3;
    if (positions.length !== expected) {
      throw new RangeError(`expected ${expected} coordinates, got ${positions.length}`);
    }
    const data = positions instanceof Float32Array && positions.buffer instanceof ArrayBuffer
      ? positions as Float32Array<ArrayBuffer>
      : Float32Array.from(positions);
    this.gpu.device.queue.writeBuffer(this.positions, 0, data);
  }

  /** Records the dispatches that compute every replica's energy and forces. */
  encode(pass: GPUComputePassEncoder): void {
    pass.setBindGroup(0, this.#bindGroup);
    if (this.#prepare !== undefined) {
      pass.setPipeline(this.#prepare);
      pass.dispatchWorkgroups(...this.#atomGrid);
    }
    pass.setPipeline(this.#evaluate);
    pass.dispatchWorkgroups(...this.#atomGrid);
    pass.setPipeline(this.#sumEnergies);
    pass.dispatchWorkgroups(...this.#replicaGrid);
  }

  /** Computes energies and forces of all replicas (queued; read them back when needed). */
  evaluate(times = 1): void {
    const encoder = this.gpu.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    for (let t = 0; t < times; t++) this.encode(pass);
    pass.end();
    this.gpu.device.queue.submit([encoder.finish()]);
  }

  async readEnergies(): Promise<Float32Array> {
    return new Float32Array(await this.gpu.read(this.energies, this.replicas * 4));
  }

  async readForces(): Promise<Float32Array> {
    return new Float32Array(
      await this.gpu.read(this.forces, this.replicas * this.system.nAtoms * 12),
    );
  }

  async readPositions(): Promise<Float32Array> {
    return new Float32Array(
      await this.gpu.read(this.positions, this.replicas * this.system.nAtoms * 12),
    );
  }

  destroy(): void {
    for (const buffer of this.#buffers) buffer.destroy();
  }
}

function align4(bytes: number): number {
  return Math.ceil(bytes / 4) * 4;
}

/** Workgroups along x and y for `threads` invocations, within the per-axis dispatch limit. */
function grid(threads: number): [number, number] {
  const groups = Math.ceil(threads / WORKGROUP_SIZE);
  const x = Math.min(groups, MAX_GROUPS_PER_AXIS);
  return [x, Math.ceil(groups / x)];
}
