/**
 * A kernel's buffers, declared once: the WGSL declarations (`@group(0) @binding(k) var...`) and
 * the host's bind group layout both come from one list, so the binding numbers, access modes and
 * names cannot drift apart between TypeScript and WGSL. A binding's number is its place in the
 * list.
 */

export interface Binding<K extends string = string> {
  /** The host's name for the buffer. */
  key: K;
  /** The variable's name in WGSL. */
  wgsl: string;
  access: "uniform" | "read" | "read_write";
  /** Its WGSL type, e.g. `array<f32>` or a generated struct's name. */
  type: string;
  /** Shown above the declaration in the generated WGSL. */
  doc?: string;
}

/** The WGSL declarations of `bindings`, all in group 0, but those named in `omit` (a kernel that
 * keeps that data in workgroup memory instead). */
export function wgslBindings(bindings: readonly Binding[], omit: readonly string[] = []): string {
  return bindings.flatMap((binding, index) => {
    if (omit.includes(binding.key)) return [];
    const space = binding.access === "uniform" ? "uniform" : `storage, ${binding.access}`;
    const doc = binding.doc === undefined ? "" : `// ${binding.doc}\n`;
    return [`${doc}@group(0) @binding(${index}) var<${space}> ${binding.wgsl}: ${binding.type};`];
  }).join("\n");
}

/** The bind group layout's entries for `bindings` (compute stage). */
export function bindGroupLayoutEntries(bindings: readonly Binding[]): GPUBindGroupLayoutEntry[] {
  return bindings.map((binding, index) => ({
    binding: index,
    visibility: GPUShaderStage.COMPUTE,
    buffer: {
      type: binding.access === "uniform"
        ? "uniform"
        : binding.access === "read"
        ? "read-only-storage"
        : "storage",
    },
  }));
}
