/**
 * Assembles WGSL programs from the files in shaders/. WGSL has no includes, so a program is the
 * concatenation of generated constants (sizes known when the pipeline is built), shared code, a
 * potential's WGSL (from its registry entry, src/potentials/) and the kernel that calls it. The
 * files are imported as text modules, so this works from a checkout, from a URL import of mod.ts,
 * and in a compiled binary, with no file access.
 */
import COMMON from "../../shaders/common.wgsl" with { type: "text" };
import ENERGY_FORCES from "../../shaders/energy_forces.wgsl" with { type: "text" };
import RNG from "../../shaders/rng.wgsl" with { type: "text" };
import { potentialEntry, type PotentialKind } from "../potentials/registry.ts";

/** A potential's views (src/potentials/potential.ts, PotentialWgsl): one invocation per atom, or
 * per replica. */
export type PotentialView = "atom" | "replica";

export const KERNEL_SHADERS = {
  energyForces: ENERGY_FORCES,
  rng: RNG,
};

export type ShaderConstant = number | boolean | { u32: number } | { f32: number };

/** WGSL `const` declarations; plain numbers must be integers and become u32. */
export function wgslConstants(constants: Record<string, ShaderConstant>): string {
  return Object.entries(constants).map(([name, value]) => {
    if (typeof value === "boolean") return `const ${name}: bool = ${value};`;
    if (typeof value === "number" || "u32" in value) {
      const n = typeof value === "number" ? value : value.u32;
      if (!Number.isInteger(n) || n < 0) throw new Error(`constant ${name} = ${n} is not a u32`);
      return `const ${name}: u32 = ${n}u;`;
    }
    // Settings are range-checked where users give them (core/numbers.ts); an infinite constant
    // would fail to compile with a message that names no setting.
    if (!Number.isFinite(Math.fround(value.f32))) {
      throw new Error(`constant ${name} = ${value.f32} is not a finite f32`);
    }
    return `const ${name}: f32 = ${formatF32(value.f32)};`;
  }).join("\n");
}

function formatF32(x: number): string {
  const text = String(Math.fround(x));
  return /[.e]/.test(text) ? text : `${text}.0`;
}

/** Constants (and generated declarations such as structs), common code, the potential's terms and
 * view, then the kernel (and its helpers). */
export function assembleShader(
  kernel: string | string[],
  potential: PotentialKind,
  view: PotentialView,
  constants: Record<string, ShaderConstant>,
  declarations: string[] = [],
): string {
  return [
    "// Generated constants",
    wgslConstants(constants),
    ...declarations,
    COMMON,
    potentialEntry(potential).wgsl.terms,
    potentialEntry(potential).wgsl[view],
    ...[kernel].flat(),
  ].join("\n");
}
