/**
 * The fused kernel's WGSL for one method on one system in one thread layout
 * (src/gpu/thread_layout.ts): generated constants and structs (from kernel_layout.ts, the local
 * method's state and settings, the driver's mode, the hopping settings, the hop controller's and
 * the layout's), then the potential (its replica view for the lane layout, its atom view for the
 * workgroup layout), the layout (shaders/layouts/), the random numbers, the hop controller (the
 * defaults, shaders/hop_control_default.wgsl, or a learned one), the moves, the hopping wrapper,
 * the local method and the driver (shaders/driver.wgsl).
 */
import { NO_ENERGY, PLACEMENT_TRIALS, STATUS_CODES } from "../core/codes.ts";
import { wgslStruct } from "../core/layout.ts";
import { potentialLayout } from "../potentials/registry.ts";
import { assembleShader, KERNEL_SHADERS, type ShaderConstant } from "../gpu/shader_source.ts";
import type { System } from "../systems/system.ts";
import { energyTolerance } from "../systems/energy_tolerance.ts";
import DRIVER from "../../shaders/driver.wgsl" with { type: "text" };
import HOP_CONTROL_DEFAULT from "../../shaders/hop_control_default.wgsl" with { type: "text" };
import HOPPING from "../../shaders/hopping.wgsl" with { type: "text" };
import LANE from "../../shaders/layouts/lane.wgsl" with { type: "text" };
import WORKGROUP from "../../shaders/layouts/workgroup.wgsl" with { type: "text" };
import WORKGROUP_ATOMS from "../../shaders/layouts/workgroup_atoms.wgsl" with { type: "text" };
import {
  LANE_WORKGROUP_SIZE,
  workgroupConstants,
  type WorkgroupShape,
} from "../gpu/thread_layout.ts";
import { wgslBindings } from "../gpu/bindings.ts";
import {
  DRIVER_BINDINGS,
  logStride,
  planeNames,
  REPLICA_LAYOUT,
  SETTINGS_LAYOUT,
  TABOO_CAPACITY,
} from "./kernel_layout.ts";
import {
  compiledMoves,
  hopControl,
  type MethodSpec,
  moveSystem,
  ranksAtoms,
  restartPlacement,
} from "./method_spec.ts";
import { moveConstants, movesSource } from "./moves/move_source.ts";
import { HOP_DECISION_LAYOUT } from "./hop_control.ts";
import { SURFACE_TIE } from "./moves/surface.ts";

export const MODE_CODES = { local: 0, hopping: 1, free: 2 } as const;

/** A layout and, for the workgroup layout, its shape. */
export type KernelShape = { layout: "lane" } | { layout: "workgroup"; shape: WorkgroupShape };

/** Bytes of workgroup memory the fused kernel declares (shaders/layouts/workgroup*.wgsl). */
export function fusedWorkgroupBytes(system: System, shape: WorkgroupShape): number {
  const n = system.nAtoms;
  // x (vec3f, 16 bytes), atom_rank, aux, and the reductions' two buffers (vec4f per invocation).
  return n * 16 + n * 4 + n * fusedAuxWords(system) * 4 + 2 * shape.threads * 16;
}

/** Per-atom scratch words of the atom view in the fused kernel (at least 1: WGSL has no empty
 * arrays). */
function fusedAuxWords(system: System): number {
  return Math.max(1, potentialLayout(system.potential, system.elements.length, true).auxWords);
}

/** f32 constants must be finite: Infinity (no limit) becomes the largest energy sentinel. */
function finite(value: number): { f32: number } {
  return { f32: Math.min(value, NO_ENERGY) };
}

export function kernelSource(
  system: System,
  spec: MethodSpec,
  logCapacity: number,
  kernel: KernelShape,
): string {
  const layout = potentialLayout(system.potential, system.elements.length, true);
  const box = system.box ?? 0;
  const planes = planeNames(spec.local);
  const hopping = spec.driver.mode === "hopping" ? spec.driver.hopping : undefined;
  const moves = compiledMoves(spec, moveSystem(system));
  const control = hopControl(spec);
  const placement = restartPlacement(system, spec);
  const constants: Record<string, ShaderConstant> = {
    N_ATOMS: system.nAtoms,
    ...(kernel.layout === "lane"
      ? { WORKGROUP_SIZE: LANE_WORKGROUP_SIZE, OWNED_ATOMS: system.nAtoms }
      : {
        WORKGROUP_SIZE: kernel.shape.threads,
        ...workgroupConstants(kernel.shape),
        AUX_WORDS: fusedAuxWords(system),
        ATOM_PREPARE: layout.auxWords > 0,
      }),
    PERIODIC: system.box !== undefined,
    BOX_SIDE: { f32: box },
    INVERSE_BOX_SIDE: { f32: box > 0 ? 1 / box : 0 },
    CONTAINER_RADIUS: { f32: spec.containerRadius },
    BOND_LENGTH: { f32: system.bondLength },
    MODE_LOCAL: MODE_CODES.local,
    MODE_HOPPING: MODE_CODES.hopping,
    MODE_FREE: MODE_CODES.free,
    MODE: MODE_CODES[spec.driver.mode],
    MAX_STEP: finite(spec.local.maxStep),
    LOG_CAPACITY: logCapacity,
    LOG_STRIDE: logStride(system.nAtoms, logCapacity),
    STATUS_RUNNING: STATUS_CODES.running,
    STATUS_CONVERGED: STATUS_CODES.converged,
    NO_ENERGY: { f32: NO_ENERGY },
    PLACEMENT_TRIALS,
    TWO_PI: { f32: 2 * Math.PI },
    RELAX_STEP_CAP: hopping?.relaxStepCap ?? 0,
    ADAPT_INTERVAL: hopping?.adaptInterval ?? 0,
    ADAPT_FACTOR: { f32: hopping?.adaptFactor ?? 1 },
    START_RADIUS: { f32: placement.startRadius },
    MIN_DISTANCE: { f32: placement.minDistance },
    SURFACE_OFFSET: { f32: hopping?.surfaceOffset ?? 0 },
    SURFACE_TIE: { f32: SURFACE_TIE },
    RESEED_HOPS: hopping?.reseedHops ?? 0,
    RESEED_BY_HOST: hopping?.pool !== undefined,
    RESEED_TOLERANCE: { f32: energyTolerance(system) },
    TABOO: hopping?.taboo === true,
    TABOO_CAPACITY,
    ...moveConstants(moves, system),
    ATOM_ENERGIES: ranksAtoms(moves),
    HOP_CONTROL: control !== undefined,
    PLANES: planes.length,
    ...Object.fromEntries(planes.map((name, k) => [`PLANE_${name}`, k])),
    ...layout.constants,
    ...spec.local.constants,
    ...control?.constants,
  };
  const layoutShaders = kernel.layout === "lane" ? [LANE] : [WORKGROUP_ATOMS, WORKGROUP];
  return assembleShader(
    [
      ...layoutShaders,
      KERNEL_SHADERS.rng,
      control?.shader ?? HOP_CONTROL_DEFAULT,
      movesSource(),
      HOPPING,
      spec.local.shader,
      DRIVER,
    ],
    system.potential.kind,
    kernel.layout === "lane" ? "replica" : "atom",
    constants,
    [
      ...[SETTINGS_LAYOUT, REPLICA_LAYOUT, HOP_DECISION_LAYOUT, spec.local.state].map(wgslStruct),
      wgslBindings(DRIVER_BINDINGS),
    ],
  );
}
