/**
 * How a kernel spreads replicas and atoms over GPU threads.
 *
 * - `lane`: one invocation per replica, LANE_WORKGROUP_SIZE replicas per workgroup, the replica's
 *   positions and vectors in private arrays and each pair visited once. Made for Mesa's llvmpipe,
 *   which runs a workgroup's invocations as the lanes of a SIMD loop, so a replica is one lane.
 * - `workgroup`: one workgroup per replica, one invocation per atom (each looping over atoms
 *   t, t + threads, ... when the replica has more atoms than the workgroup), the positions in
 *   workgroup memory, replica totals (energy, largest force, FIRE's power, L-BFGS's dot products)
 *   by workgroup reductions. Made for discrete GPUs, where one invocation per replica leaves most
 *   of the device idle and spills its per-atom arrays.
 *
 * Both layouts run the same WGSL (shaders/driver.wgsl with shaders/layouts/lane.wgsl or
 * workgroup.wgsl) against the same f64 mirrors and random streams. The default follows the
 * adapter: software rasterizers get `lane`, hardware `workgroup`; `--layout` on the command line
 * (Gpu.open's `layout`) overrides it for every batch of the session.
 */
import { UserError } from "../core/errors.ts";
import { LOOP_BUDGET } from "./loop_budget.ts";

export const THREAD_LAYOUTS = ["lane", "workgroup"] as const;
export type ThreadLayout = typeof THREAD_LAYOUTS[number];

/** Replicas per workgroup in the lane layout. */
export const LANE_WORKGROUP_SIZE = 64;

/** Most invocations per replica in the workgroup layout: beyond this they loop over atoms (an
 * SM keeps several such workgroups in flight, which hides the barriers' latency). */
const MAX_THREADS = 256;

/** What the layout needs to know about the device (a Gpu will do). */
export interface LayoutDevice {
  readonly adapterName: string;
  readonly isSoftware: boolean;
  readonly device: { readonly limits: LayoutLimits };
}

export interface LayoutLimits {
  readonly maxComputeInvocationsPerWorkgroup: number;
  readonly maxComputeWorkgroupSizeX: number;
  readonly maxComputeWorkgroupStorageSize: number;
}

/** The adapter's natural layout. */
export function defaultLayout(gpu: Pick<LayoutDevice, "isSoftware">): ThreadLayout {
  return gpu.isSoftware ? "lane" : "workgroup";
}

/** `--layout VALUE`: one of THREAD_LAYOUTS, or a UserError naming them. */
export function parseLayout(value: string): ThreadLayout {
  if ((THREAD_LAYOUTS as readonly string[]).includes(value)) return value as ThreadLayout;
  throw new UserError(`--layout: unknown layout '${value}'; use ${THREAD_LAYOUTS.join(" or ")}`);
}

/** The workgroup layout's shape for N atoms. */
export interface WorkgroupShape {
  /** Invocations per replica (the workgroup size). */
  threads: number;
  /** Atoms per invocation, ceil(N / threads). */
  ownedAtoms: number;
  /** threads rounded up to a power of two: the width of the reduction tree. */
  reductionWidth: number;
  /** Reductions by a tree of barriers (hardware) or by one barrier and a sum of every partial by
   * every invocation (llvmpipe, where a barrier suspends and resumes each invocation). */
  reductionTree: boolean;
}

/** llvmpipe's SIMD width in f32 lanes (256-bit vectors). */
const SOFTWARE_LANES = 8;
/** On llvmpipe, the loop iterations one invocation may spend on its atoms' energy terms in one
 * evaluation: a quarter of the loop budget, so that a fused step with its method fits too. */
const SOFTWARE_EVALUATION_ITERATIONS = LOOP_BUDGET / 4;

/**
 * Hardware: N atoms rounded up to whole warps of 32, at most MAX_THREADS and the adapter's limits.
 * llvmpipe: as few SIMD groups of 8 lanes as keep an invocation's share of one evaluation within
 * SOFTWARE_EVALUATION_ITERATIONS (`atomIterations`: loop iterations of the potential's atom view
 * for one atom): one group for the clusters of a few dozen atoms. llvmpipe runs a workgroup's SIMD
 * groups one after another, each repeating every per-replica scalar step and suspending at every
 * barrier, so fewer groups do that fewer times.
 */
export function workgroupShape(
  n: number,
  gpu: LayoutDevice,
  atomIterations: number,
): WorkgroupShape {
  const { limits } = gpu.device;
  const most = Math.min(
    MAX_THREADS,
    limits.maxComputeInvocationsPerWorkgroup,
    limits.maxComputeWorkgroupSizeX,
  );
  const granule = gpu.isSoftware ? SOFTWARE_LANES : 32;
  const wanted = gpu.isSoftware
    ? Math.ceil(n * atomIterations / SOFTWARE_EVALUATION_ITERATIONS)
    : n;
  const threads = Math.min(Math.max(granule, Math.ceil(wanted / granule) * granule), most);
  return shapeOf(n, threads, !gpu.isSoftware);
}

/** The shape of `threads` invocations per replica of N atoms. */
export function shapeOf(n: number, threads: number, reductionTree: boolean): WorkgroupShape {
  return {
    threads,
    ownedAtoms: Math.ceil(n / threads),
    reductionWidth: 2 ** Math.ceil(Math.log2(threads)),
    reductionTree,
  };
}

/** Loop iterations of one reduction (shaders/layouts/workgroup_atoms.wgsl reduce4). */
export function reductionIterations(shape: WorkgroupShape): number {
  return shape.reductionTree ? Math.log2(shape.reductionWidth) : shape.threads;
}

/** The generated WGSL constants of shaders/layouts/workgroup_atoms.wgsl. */
export function workgroupConstants(shape: WorkgroupShape): Record<string, number | boolean> {
  return {
    THREADS: shape.threads,
    OWNED_ATOMS: shape.ownedAtoms,
    REDUCTION_WIDTH: shape.reductionWidth,
    REDUCTION_TREE: shape.reductionTree,
  };
}

/**
 * A UserError unless `bytes` of workgroup memory fit the adapter: the workgroup layout keeps a
 * replica's positions (16 bytes an atom: vec3f is aligned to 16) and scratch there.
 */
export function checkWorkgroupMemory(
  gpu: LayoutDevice,
  systemName: string,
  bytes: number,
): void {
  const limit = gpu.device.limits.maxComputeWorkgroupStorageSize;
  if (bytes > limit) {
    throw new UserError(
      `${systemName} needs ${kib(bytes)} of workgroup memory in the workgroup layout, over ` +
        `${gpu.adapterName}'s maxComputeWorkgroupStorageSize of ${kib(limit)} ` +
        `(use --layout lane, or fewer atoms)`,
    );
  }
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

/** Workgroups along x and y for `groups` workgroups, at most `maxPerAxis` per axis (the kernels
 * index them as x + y * width; the last row may run past the end and returns at once). */
export function dispatchGrid(groups: number, maxPerAxis: number): [number, number] {
  const x = Math.min(groups, maxPerAxis);
  return [x, Math.ceil(groups / x)];
}
