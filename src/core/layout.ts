/**
 * Binary layouts shared by the host and the WGSL kernels, declared once here. A layout is a list
 * of 32-bit fields (scalars, or a vec4u / fixed array of them); `wgslStruct` emits the WGSL
 * declaration and `offsets` the word offsets the host reads and writes, so no struct is copied by
 * hand between TypeScript and WGSL.
 *
 * Only 4-byte scalars and arrays of them are allowed, plus one trailing-aligned vec4u: WGSL then
 * lays fields out consecutively (vec4u at a multiple of 4 words, which `wgslStruct` checks), so
 * word offsets are simply running sums.
 */

export type FieldType = "f32" | "u32" | "vec4u";

export interface Field {
  name: string;
  type: FieldType;
  /** A fixed array of this many scalars (f32 or u32). */
  count?: number;
  /** Shown above the field in the generated WGSL. */
  doc?: string;
}

export interface Layout {
  name: string;
  fields: readonly Field[];
}

function fieldWords(field: Field): number {
  if (field.type === "vec4u") return 4;
  return field.count ?? 1;
}

/** Word offset of every field. */
export function offsets(layout: Layout): Record<string, number> {
  const result: Record<string, number> = {};
  let offset = 0;
  for (const field of layout.fields) {
    if (field.type === "vec4u" && offset % 4 !== 0) {
      throw new Error(`${layout.name}.${field.name}: a vec4u must start at a multiple of 4 words`);
    }
    result[field.name] = offset;
    offset += fieldWords(field);
  }
  return result;
}

/** Words of one struct, padded to WGSL's 16-byte alignment when it holds a vec4u. */
export function layoutWords(layout: Layout): number {
  const words = layout.fields.reduce((sum, field) => sum + fieldWords(field), 0);
  const aligned = layout.fields.some((field) => field.type === "vec4u");
  return Math.max(1, aligned ? Math.ceil(words / 4) * 4 : words);
}

/** The WGSL struct declaration (snake_case field names, as declared). */
export function wgslStruct(layout: Layout): string {
  offsets(layout); // checks alignment
  const lines = layout.fields.map((field) => {
    const type = field.count === undefined ? field.type : `array<${field.type}, ${field.count}>`;
    const doc = field.doc === undefined ? "" : `  // ${field.doc}\n`;
    return `${doc}  ${field.name}: ${type},`;
  });
  // WGSL forbids empty structs.
  if (lines.length === 0) lines.push("  unused: u32,");
  return `struct ${layout.name} {\n${lines.join("\n")}\n}`;
}

/** Typed views of many structs of one layout laid end to end (one per replica). */
export class StructArray {
  readonly words: number;
  readonly buffer: ArrayBuffer;
  readonly f32: Float32Array;
  readonly u32: Uint32Array;
  readonly #offsets: Record<string, number>;

  constructor(readonly layout: Layout, readonly count: number, data?: ArrayBuffer) {
    this.words = layoutWords(layout);
    this.#offsets = offsets(layout);
    this.buffer = data ?? new ArrayBuffer(count * this.words * 4);
    this.f32 = new Float32Array(this.buffer);
    this.u32 = new Uint32Array(this.buffer);
  }

  /** Word index of `field` in struct `index`. */
  at(index: number, field: string): number {
    const offset = this.#offsets[field];
    if (offset === undefined) throw new Error(`${this.layout.name} has no field ${field}`);
    return index * this.words + offset;
  }

  /** One field of every struct. */
  column(field: string, type: "f32"): Float32Array;
  column(field: string, type: "u32"): Uint32Array;
  column(field: string, type: "f32" | "u32"): Float32Array | Uint32Array {
    const source = type === "f32" ? this.f32 : this.u32;
    const out = type === "f32" ? new Float32Array(this.count) : new Uint32Array(this.count);
    for (let k = 0; k < this.count; k++) out[k] = source[this.at(k, field)];
    return out;
  }
}
