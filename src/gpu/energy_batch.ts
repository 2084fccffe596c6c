/**
 * B replicas of one system on the GPU: positions stay in a storage buffer across dispatches, and
 * one `evaluate()` computes every replica's energy and forces, in either thread layout
 * (src/gpu/thread_layout.ts): `lane`, one invocation per (replica, atom) reading positions from
 * storage, in two or three dispatches (shaders/energy_forces.wgsl); `workgroup`, one workgroup per
 * replica with its positions in workgroup memory, in one dispatch
 * (shaders/energy_forces_workgroup.wgsl). Readbacks are explicit and return only what is asked
 * for.
 */
import { bindGroupLayoutEntries, type Binding, wgslBindings } from "./bindings.ts";
import { type Layout, StructArray, wgslStruct } from "../core/layout.ts";
import { potentialCutoff, potentialEntry, potentialLayout } from "../potentials/registry.ts";
import { checkBox, type System } from "../systems/system.ts";
import type { Gpu } from "./device.ts";
import { assembleShader, KERNEL_SHADERS } from "./shader_source.ts";
import {
  checkWorkgroupMemory,
  dispatchGrid,
  type LayoutDevice,
  type ThreadLayout,
  workgroupConstants,
  type WorkgroupShape,
  workgroupShape,
} from "./thread_layout.ts";
import ENERGY_FORCES_WORKGROUP from "../../shaders/energy_forces_workgroup.wgsl" with {
  type: "text",
};
import WORKGROUP_ATOMS from "../../shaders/layouts/workgroup_atoms.wgsl" with { type: "text" };

/** Invocations per workgroup of the lane layout's kernels. */
const WORKGROUP_SIZE = 64;

export interface EnergyBatchOptions {
  /** Defaults to the Gpu's (src/gpu/thread_layout.ts). */
  layout?: ThreadLayout;
}

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

/** The energy kernels' buffers (shaders/energy_forces*.wgsl read them by these WGSL names). */
export const ENERGY_BINDINGS = [
  { key: "info", wgsl: "batch", access: "uniform", type: "BatchInfo" },
  {
    key: "positions",
    wgsl: "positions",
    access: "read",
    type: "array<f32>",
    doc: "[replica][atom][xyz]",
  },
  {
    key: "species",
    wgsl: "species",
    access: "read",
    type: "array<u32>",
    doc: "species index per atom, shared by all replicas",
  },
  {
    key: "params",
    wgsl: "params",
    access: "read",
    type: "array<f32>",
    doc: "the potential's parameters (its entry's layout)",
  },
  {
    key: "aux",
    wgsl: "aux",
    access: "read_write",
    type: "array<u32>",
    doc: "[replica][atom][AUX_WORDS], written by pass 1 and read by pass 2",
  },
  {
    key: "atomEnergies",
    wgsl: "atom_energies",
    access: "read_write",
    type: "array<f32>",
    doc: "[replica][atom]",
  },
  {
    key: "forces",
    wgsl: "forces",
    access: "read_write",
    type: "array<f32>",
    doc: "[replica][atom][xyz]",
  },
  { key: "energies", wgsl: "energies", access: "read_write", type: "array<f32>", doc: "[replica]" },
] as const satisfies readonly Binding[];

type EnergyBuffers = Record<typeof ENERGY_BINDINGS[number]["key"], GPUBuffer>;

/** Workgroup memory of the workgroup layout's energy kernel: x (16 bytes an atom), the atom
 * view's scratch and the reductions' two buffers. */
export function energyWorkgroupBytes(system: System, threads: number): number {
  const auxWords = Math.max(
    1,
    potentialLayout(system.potential, system.elements.length, false).auxWords,
  );
  return system.nAtoms * (16 + 4 * auxWords) + 2 * threads * 16;
}

/** The workgroup layout's shape for this system's energy kernel on `gpu`. */
export function energyWorkgroupShape(gpu: LayoutDevice, system: System): WorkgroupShape {
  const n = system.nAtoms;
  return workgroupShape(
    n,
    gpu,
    potentialEntry(system.potential.kind).wgsl.atomIterations(n, false),
  );
}

export class EnergyBatch {
  readonly gpu: Gpu;
  readonly system: System;
  readonly replicas: number;
  readonly positions: GPUBuffer;
  readonly forces: GPUBuffer;
  readonly energies: GPUBuffer;
  readonly layout: ThreadLayout;
  #buffers: EnergyBuffers;
  #bindGroup: GPUBindGroup;
  /** The dispatches of one evaluation, in order. */
  #passes: [GPUComputePipeline, [number, number]][];

  private constructor(
    gpu: Gpu,
    system: System,
    replicas: number,
    layout: ThreadLayout,
    buffers: EnergyBuffers,
    bindGroup: GPUBindGroup,
    passes: [GPUComputePipeline, [number, number]][],
  ) {
    this.gpu = gpu;
    this.system = system;
    this.replicas = replicas;
    this.layout = layout;
    this.#buffers = buffers;
    ({ positions: this.positions, forces: this.forces, energies: this.energies } = buffers);
    this.#bindGroup = bindGroup;
    this.#passes = passes;
  }

  static async create(
    gpu: Gpu,
    system: System,
    replicas: number,
    options: EnergyBatchOptions = {},
  ): Promise<EnergyBatch> {
    if (!Number.isInteger(replicas) || replicas < 1) {
      throw new RangeError(`replicas must be a positive integer, got ${replicas}`);
    }
    if (system.box !== undefined) {
      checkBox(system.name, system.box, potentialCutoff(system.potential));
    }
    const { device } = gpu;
    const n = system.nAtoms;
    const layout = potentialLayout(system.potential, system.elements.length, false);
    const threadLayout = options.layout ?? gpu.layout;
    const auxWords = Math.max(layout.auxWords, 1);
    const common = {
      N_ATOMS: n,
      AUX_WORDS: auxWords,
      PERIODIC: system.box !== undefined,
      ...layout.constants,
    };
    const declarations = [
      wgslStruct(BATCH_INFO_LAYOUT),
      // The workgroup kernel keeps the atom view's scratch in workgroup memory.
      wgslBindings(ENERGY_BINDINGS, threadLayout === "lane" ? [] : ["aux"]),
    ];
    let code: string;
    if (threadLayout === "lane") {
      code = assembleShader(
        KERNEL_SHADERS.energyForces,
        system.potential.kind,
        "atom",
        { ...common, WORKGROUP_SIZE },
        declarations,
      );
    } else {
      const shape = energyWorkgroupShape(gpu, system);
      checkWorkgroupMemory(gpu, system.name, energyWorkgroupBytes(system, shape.threads));
      code = assembleShader(
        [WORKGROUP_ATOMS, ENERGY_FORCES_WORKGROUP],
        system.potential.kind,
        "atom",
        { ...common, ...workgroupConstants(shape), ATOM_PREPARE: layout.auxWords > 0 },
        declarations,
      );
    }

    // The lane kernels index threads as x + y * width with one width from the uniform: the atom
    // grid may need rows, the replica grid (at most 65,535 groups) never does. The workgroup
    // kernel takes its replica from the grid of workgroups.
    const atomGrid = grid(replicas * n);
    const replicaGrid: [number, number] = [Math.ceil(replicas / WORKGROUP_SIZE), 1];
    if (threadLayout === "lane" && replicaGrid[0] > MAX_GROUPS_PER_AXIS) {
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
    const buffers: EnergyBuffers = {
      info,
      positions: make("positions", replicas * n * 12),
      species: make("species", n * 4),
      params: make("params", layout.params.byteLength),
      aux: make("aux", replicas * n * layout.auxWords * 4),
      atomEnergies: make("atom energies", replicas * n * 4),
      forces: make("forces", replicas * n * 12),
      energies: make("energies", replicas * 4),
    };
    device.queue.writeBuffer(buffers.species, 0, system.species);
    device.queue.writeBuffer(buffers.params, 0, layout.params);

    const bindGroupLayout = device.createBindGroupLayout({
      entries: bindGroupLayoutEntries(ENERGY_BINDINGS),
    });
    const pipelineLayout = device.createPipelineLayout({ bindGroupLayouts: [bindGroupLayout] });
    const label = `energy_forces/${system.potential.kind}/N=${n}/${threadLayout}`;
    const pipeline = (entry: string) => gpu.computePipeline(label, code, pipelineLayout, entry);
    const passes: [GPUComputePipeline, [number, number]][] = threadLayout === "lane"
      ? [
        ...(layout.auxWords > 0 ? [[await pipeline("prepare"), atomGrid] as const] : []),
        [await pipeline("evaluate"), atomGrid],
        [await pipeline("sum_energies"), replicaGrid],
      ] as [GPUComputePipeline, [number, number]][]
      : [[
        await pipeline("evaluate_replicas"),
        dispatchGrid(replicas, device.limits.maxComputeWorkgroupsPerDimension),
      ]];
    const bindGroup = device.createBindGroup({
      layout: bindGroupLayout,
      entries: ENERGY_BINDINGS.map(({ key }, binding) => ({
        binding,
        resource: { buffer: buffers[key] },
      })),
    });
    return new EnergyBatch(gpu, system, replicas, threadLayout, buffers, bindGroup, passes);
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
    for (const [pipeline, grid] of this.#passes) {
      pass.setPipeline(pipeline);
      pass.dispatchWorkgroups(...grid);
    }
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
    for (const buffer of Object.values(this.#buffers)) buffer.destroy();
  }
}

function align4(bytes: number): number {
  return Math.ceil(bytes / 4) * 4;
}

/** Workgroups along x and y for `threads` invocations, within the per-axis dispatch limit. */
function grid(threads: number): [number, number] {
  return dispatchGrid(Math.ceil(threads / WORKGROUP_SIZE), MAX_GROUPS_PER_AXIS);
}
