/**
 * Values on the wire between host and workers: JSON, exact for every number. Typed arrays travel
 * as base64 of their bytes (little-endian, as every WebGPU platform is) and non-finite numbers
 * as tagged strings, so a Float32Array of weights or a NaN loss comes back with the same bits.
 */
import { Buffer } from "node:buffer";

const TYPED = {
  f32: Float32Array,
  f64: Float64Array,
  u32: Uint32Array,
} as const;
type TypedTag = keyof typeof TYPED;
const NON_FINITE: Record<string, number> = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity };

export function bytesToBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

export function base64ToBytes(text: string): Uint8Array<ArrayBuffer> {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
    throw new WireError("not base64");
  }
  return new Uint8Array(Buffer.from(text, "base64"));
}

/** A value of the wire that does not decode (a malformed item or result). */
export class WireError extends Error {
  override name = "WireError";
}

/** `value` as JSON text: typed arrays as {"$f32" | "$f64" | "$u32": base64}, NaN and the
 * infinities as {"$number": "NaN" | "Infinity" | "-Infinity"}. */
export function encodeWire(value: unknown): string {
  return JSON.stringify(tagged(value));
}

/** The value `encodeWire` wrote; a WireError when the text is not such a value. */
export function decodeWire(text: string): unknown {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new WireError(`not JSON (${(error as Error).message})`);
  }
  return untagged(json);
}

function tagged(value: unknown): unknown {
  if (typeof value === "number") {
    return Number.isFinite(value) ? value : { $number: String(value) };
  }
  if (ArrayBuffer.isView(value)) {
    const tag = (Object.keys(TYPED) as TypedTag[]).find((t) => value instanceof TYPED[t]);
    if (tag === undefined) throw new TypeError(`no wire form for ${value.constructor.name}`);
    const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    return { [`$${tag}`]: bytesToBase64(bytes) };
  }
  if (Array.isArray(value)) return value.map(tagged);
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, entry] of Object.entries(value)) {
      if (entry !== undefined) out[key] = tagged(entry);
    }
    return out;
  }
  return value;
}

function untagged(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(untagged);
  if (typeof value !== "object" || value === null) return value;
  const entries = Object.entries(value);
  if (entries.length === 1) {
    const [key, inner] = entries[0];
    if (key === "$number") {
      if (typeof inner !== "string" || !(inner in NON_FINITE)) {
        throw new WireError(`bad $number ${JSON.stringify(inner)}`);
      }
      return NON_FINITE[inner];
    }
    const tag = key.slice(1) as TypedTag;
    if (key.startsWith("$") && tag in TYPED) {
      if (typeof inner !== "string") throw new WireError(`${key} is not base64 text`);
      const bytes = base64ToBytes(inner);
      const width = TYPED[tag].BYTES_PER_ELEMENT;
      if (bytes.byteLength % width !== 0) {
        throw new WireError(`${key} holds ${bytes.byteLength} bytes, not a multiple of ${width}`);
      }
      return new TYPED[tag](bytes.buffer, 0, bytes.byteLength / width);
    }
  }
  const out: Record<string, unknown> = {};
  for (const [key, inner] of entries) out[key] = untagged(inner);
  return out;
}

/** A short name for `text` that any change to it changes: the first 96 bits of its SHA-256, in
 * hex. Work items are named by it, so the same work published twice is one item. */
export async function contentId(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest).subarray(0, 12), (b) => b.toString(16).padStart(2, "0"))
    .join("");
}
