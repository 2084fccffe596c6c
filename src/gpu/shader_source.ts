/**
 * Assembles WGSL programs from the files in shaders/. WGSL has no includes, so a program is the
 * concatenation of generated constants (sizes known when the pipeline is built), shared code, a
 * potential and the kernel that calls it. The files are imported as text modules, so this works
 * from a checkout, from a URL import of mod.ts, and in a compiled binary, with no file access.
 */
import COMMON from "../../shaders/common.wgsl" with { type: "text" };
import ENERGY_FORCES from "../../shaders/energy_forces.wgsl" with { type: "text" };
import GUPTA from "../../shaders/gupta.wgsl" with { type: "text" };
import LENNARD_JONES from "../../shaders/lennard_jones.wgsl" with { type: "text" };
import STILLINGER_WEBER from "../../shaders/stillinger_weber.wgsl" with { type: "text" };
import type { PotentialKind } from "../potentials/potential.ts";

export const POTENTIAL_SHADERS: Record<PotentialKind, string> = {
  lj: LENNARD_JONES,
  gupta: GUPTA,
  sw: STILLINGER_WEBER,
};

export const KERNEL_SHADERS = { energyForces: ENERGY_FORCES };

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
    return `const ${name}: f32 = ${formatF32(value.f32)};`;
  }).join("\n");
}

function formatF32(x: number): string {
  const text = String(Math.fround(x));
  return /[.e]/.test(text) ? text : `${text}.0`;
}

/** Constants, common code, the potential, then the kernel. */
export function assembleShader(
  kernel: string,
  potential: PotentialKind,
  constants: Record<string, ShaderConstant>,
): string {
  return [
    "// Generated constants",
    wgslConstants(constants),
    COMMON,
    POTENTIAL_SHADERS[potential],
    kernel,
  ].join("\n");
}
